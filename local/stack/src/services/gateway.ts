import { join } from 'node:path';
import { spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { createLocalGatewayConfig } from '@pipeline/gateway';
import { apiBaseUrl } from '@pipeline/schemas';
import type { LocalSecrets } from '../secrets';
import { writeJson } from '../settings';
import type { LineSink, RunningService } from './service';

export interface GatewayService extends RunningService {
  readonly port: number;
  /** The ingest API's base URL, as API Management exposes it (`<gateway>/ingest`). */
  readonly apiUrl: string;
  /**
   * The gateway's local config (named values, subscriptions, products). The gateway re-reads its
   * subscriptions and products when this file changes (on every system; SIGHUP too where there are
   * signals), so a test can add a subscription without a restart: rewrite the file, nothing else.
   */
  readonly configFile: string;
}

function gatewayCli(): string {
  return join(require.resolve('@pipeline/gateway/package.json'), '..', 'dist', 'src', 'cli.js');
}

/**
 * The gateway in its own process, enforcing the repository's APIM policy files in front of the
 * functions host, with named values and subscription keys built from the stack's generated secrets.
 */
export async function startGatewayService(options: {
  host: string;
  port: number;
  backendUrl: string;
  policiesDir: string;
  configFile: string;
  secrets: LocalSecrets;
  dashboardOrigin: string;
  /**
   * The API Management tier whose limits the gateway enforces: the deployment's `APIM_SKU` (a cdktf
   * SKU such as `BasicV2_1`, the same variable the deploy workflow passes), else the template's
   * default, Consumption.
   */
  tier?: string;
  log: LineSink;
}): Promise<GatewayService> {
  const config = createLocalGatewayConfig({
    functionKey: options.secrets.functionKey,
    basicAuth: options.secrets.basicAuth,
    subscription: options.secrets.subscription,
    dashboardOrigin: options.dashboardOrigin,
  });
  writeJson(options.configFile, config);
  const { child, ready } = await spawnNodeUntilReady(
    'API gateway',
    gatewayCli(),
    [
      '--host',
      options.host,
      '--port',
      String(options.port),
      '--backend',
      options.backendUrl,
      '--policies',
      options.policiesDir,
      '--config',
      options.configFile,
      '--tier',
      options.tier ?? (process.env.APIM_SKU || 'Consumption'),
    ],
    /gateway listening on (http:\/\/[^\s,]+)/,
    { onLine: options.log },
  );
  const url = ready[1]!.replace(/\/$/, '');
  return {
    name: 'API gateway (APIM policies)',
    url,
    apiUrl: apiBaseUrl(url),
    port: Number(new URL(url).port),
    configFile: options.configFile,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}
