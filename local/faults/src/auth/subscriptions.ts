import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { INGEST_PRODUCT, type LocalGatewayConfig, type SubscriptionConfig } from '@pipeline/gateway';
import type { RunningStack } from '@pipeline/stack';

/** A product the ingest API is not part of (say, one for a reporting API), as the auth case needs. */
export const OTHER_PRODUCT = { id: 'reports', apis: [] as string[] };

export interface ExtraSubscriptions {
  /** Active, for OTHER_PRODUCT. */
  readonly otherProductKey: string;
  /** Suspended, for the ingest product. */
  readonly suspendedKey: string;
  /** Active, for the ingest product: accepted once the gateway has re-read its config. */
  readonly probeKey: string;
}

const key = () => randomBytes(16).toString('hex');

function subscription(id: string, product: string, state: SubscriptionConfig['state']): SubscriptionConfig {
  return { id, product, primaryKey: key(), secondaryKey: key(), state, startedAt: new Date().toISOString() };
}

/**
 * Adds to the stack's gateway a second product and three subscriptions (one to it, a suspended and an
 * active one to the ingest product) by rewriting its config file, which the running gateway notices
 * and re-reads (local/gateway/src/reload.ts), as an operator's change in APIM takes effect without a
 * redeploy. No SIGHUP: the file change is the trigger every system has, Windows included.
 */
export function addSubscriptions(stack: RunningStack): ExtraSubscriptions {
  const file = stack.gateway.configFile;
  const config = JSON.parse(readFileSync(file, 'utf8')) as LocalGatewayConfig;
  const other = subscription('analyst', OTHER_PRODUCT.id, 'active');
  const suspended = subscription('former-producer', INGEST_PRODUCT.id, 'suspended');
  const probe = subscription('second-producer', INGEST_PRODUCT.id, 'active');
  const next: LocalGatewayConfig = {
    ...config,
    products: [...(config.products ?? [INGEST_PRODUCT]), OTHER_PRODUCT],
    subscriptions: [...config.subscriptions, other, suspended, probe],
  };
  // Written beside it and renamed over it, so the gateway never reads half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, file);
  return {
    otherProductKey: other.primaryKey,
    suspendedKey: suspended.primaryKey,
    probeKey: probe.primaryKey,
  };
}
