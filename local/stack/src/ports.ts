import { createServer } from 'node:net';

/** The stack's services and their default ports, each overridable by an environment variable. */
export const SERVICE_PORTS = {
  gateway: { name: 'API gateway', env: 'GATEWAY_PORT', default: 7070 },
  functions: { name: 'functions host', env: 'FUNCTIONS_PORT', default: 7071 },
  blob: { name: 'Azurite (Blob Storage)', env: 'AZURITE_BLOB_PORT', default: 10000 },
  cosmos: { name: 'Cosmos DB emulator', env: 'COSMOS_PORT', default: 8081 },
  eventHubs: { name: 'Event Hubs emulator', env: 'EVENTHUBS_PORT', default: 5672 },
} as const;

export type ServiceName = keyof typeof SERVICE_PORTS;
export type Ports = Record<ServiceName, number>;

export function portsFromEnvironment(env: NodeJS.ProcessEnv = process.env): Ports {
  const ports = {} as Ports;
  for (const [service, spec] of Object.entries(SERVICE_PORTS) as [
    ServiceName,
    (typeof SERVICE_PORTS)[ServiceName],
  ][]) {
    const raw = env[spec.env];
    const port = raw === undefined || raw === '' ? spec.default : Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${spec.env} must be a port number from 1 to 65535; got ${JSON.stringify(raw)}`);
    }
    ports[service] = port;
  }
  const seen = new Map<number, string>();
  for (const [service, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other)
      throw new Error(
        `${SERVICE_PORTS[other as ServiceName].name} and ${SERVICE_PORTS[service as ServiceName].name} are both set to port ${port}`,
      );
    seen.set(port, service);
  }
  return ports;
}

/**
 * The Event Hubs emulator's TLS port (EVENTHUBS_TLS_PORT, default 5671, the service's AMQPS port):
 * where `EventHub__fullyQualifiedNamespace` points, because the SDK speaks TLS with a credential.
 */
export function eventHubsTlsPortFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.EVENTHUBS_TLS_PORT;
  const port = raw === undefined || raw === '' ? 5671 : Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`EVENTHUBS_TLS_PORT must be a port number from 1 to 65535; got ${JSON.stringify(raw)}`);
  return port;
}

/** Whether nothing listens on `host:port` (by listening there for a moment). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** Fails with a message naming the service and the port when something already listens there. */
export async function assertPortsFree(host: string, ports: Ports): Promise<void> {
  for (const [service, port] of Object.entries(ports) as [ServiceName, number][]) {
    if (!(await isPortFree(host, port))) {
      const spec = SERVICE_PORTS[service];
      throw new Error(
        `Port ${port} for the ${spec.name} is already in use on ${host}. Stop whatever uses it, or set ${spec.env} to another port.`,
      );
    }
  }
}

/**
 * A free port below Linux's ephemeral range (32768-60999), for a service that may be restarted on the
 * same port: while it is down, a client's outgoing connection could be given a port in that range as
 * its own, and the restart would then fail with EADDRINUSE.
 */
export async function freePortBelowEphemeralRange(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (await isPortFree(host, port)) return port;
  }
  throw new Error('no free port found between 20000 and 32767');
}
