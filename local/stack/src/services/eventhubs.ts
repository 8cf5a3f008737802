import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSelfSignedCertificate, spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import type { EmulatorConfig } from '@pipeline/eventhubs-emulator';
import { PIPELINE_NAMES } from '../provision';
import type { LineSink, RunningService } from './service';

/** The shared access policy the stack configures in the emulator and gives the functions. */
export interface EventHubsKey {
  readonly keyName: string;
  readonly key: string;
}

export interface EventHubsService extends RunningService {
  /** Plain AMQP with `UseDevelopmentEmulator=true` (tests, the stack's own clients, `func start`). */
  readonly connectionString: string;
  readonly port: number;
  /**
   * `host:port` of the TLS listener: what the functions get as `EventHub__fullyQualifiedNamespace`,
   * so that the SDK's credential constructor (always TLS) is the one that runs, as in Azure.
   */
  readonly fullyQualifiedNamespace: string;
  readonly tlsPort: number;
  /** The emulator's certificate (PEM file): a client trusts it through NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  readonly sharedAccessKey: EventHubsKey;
  readonly pid: number;
  kill(): void;
}

/** The hub the infrastructure creates in Azure: `tweets`, 2 partitions, 1-day retention. */
export function eventHubsConfig(key: EventHubsKey): EmulatorConfig {
  return {
    eventHubs: [
      {
        name: PIPELINE_NAMES.eventHub,
        partitionCount: 2,
        consumerGroups: [PIPELINE_NAMES.consumerGroup],
        retentionHours: 24,
      },
    ],
    // Only this key is accepted, as a namespace accepts only its policies' keys.
    sharedAccessKeys: [{ name: key.keyName, key: key.key }],
  };
}

/** The compiled emulator CLI (child processes always run compiled JavaScript). */
function emulatorCli(): string {
  return join(require.resolve('@pipeline/eventhubs-emulator/package.json'), '..', 'dist', 'src', 'cli.js');
}

/**
 * The emulator's TLS certificate for 127.0.0.1, kept in the data folder and made again when missing
 * or within a week of expiry. Only the stack's own children trust it (NODE_EXTRA_CA_CERTS).
 */
export function ensureCertificate(dir: string, host: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'eventhubs-emulator.crt');
  const keyFile = join(dir, 'eventhubs-emulator.key');
  const usable = () => {
    if (!existsSync(certFile) || !existsSync(keyFile)) return false;
    const cert = new X509Certificate(readFileSync(certFile));
    const names = isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
    return names !== undefined && Date.parse(cert.validTo) - Date.now() > 7 * 86_400_000;
  };
  if (!usable()) {
    const cert = createSelfSignedCertificate({
      commonName: 'Local Event Hubs emulator',
      altNames: [...new Set([host, '127.0.0.1', 'localhost'])],
    });
    writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    writeFileSync(certFile, cert.certPem);
  }
  return { certFile, keyFile };
}

/** The Event Hubs emulator in its own process, hub `tweets` with consumer group `cosmos-writer`. */
export async function startEventHubsService(options: {
  host: string;
  port: number;
  /** The TLS listener's port (0 = any free port). */
  tlsPort: number;
  sharedAccessKey: EventHubsKey;
  /** Keeps the partition logs in `<dataDir>/eventhubs`; omitted keeps them in memory. */
  dataDir?: string;
  configDir: string;
  log: LineSink;
}): Promise<EventHubsService> {
  mkdirSync(options.configDir, { recursive: true });
  const configFile = join(options.configDir, 'eventhubs.config.json');
  writeFileSync(configFile, JSON.stringify(eventHubsConfig(options.sharedAccessKey), null, 2) + '\n', {
    mode: 0o600,
  });
  const { certFile, keyFile } = ensureCertificate(join(options.configDir, 'tls'), options.host);
  const args = ['--host', options.host, '--port', String(options.port), '--config', configFile];
  args.push('--tls-port', String(options.tlsPort), '--tls-cert', certFile, '--tls-key', keyFile);
  if (options.dataDir) args.push('--data', join(options.dataDir, 'eventhubs'));
  const { child, ready } = await spawnNodeUntilReady(
    'Event Hubs emulator',
    emulatorCli(),
    args,
    /"msg":"Event Hubs emulator listening","host":"[^"]*","port":(\d+),"tlsPort":(\d+)/,
    { onLine: options.log },
  );
  const port = Number(ready[1]);
  const tlsPort = Number(ready[2]);
  const { keyName, key } = options.sharedAccessKey;
  return {
    name: 'Event Hubs emulator',
    url: `amqp://${options.host}:${port} (amqps on ${tlsPort})`,
    port,
    tlsPort,
    fullyQualifiedNamespace: `${options.host}:${tlsPort}`,
    caFile: certFile,
    sharedAccessKey: options.sharedAccessKey,
    pid: child.pid!,
    connectionString: `Endpoint=sb://${options.host}:${port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true`,
    stop: () => stopChild(child),
    kill: () => void child.kill('SIGKILL'),
  };
}
