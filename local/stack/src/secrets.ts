import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PIPELINE_NAMES } from '@pipeline/schemas';

/**
 * The local stack's generated secrets: the function key, the API subscription keys and the basic-auth
 * credential. Generated with random values on first run and kept in the gitignored data folder, so
 * the repository never holds a secret and a restarted stack keeps working with the same keys.
 */
export interface LocalSecrets {
  readonly functionKey: string;
  readonly subscription: { readonly primaryKey: string; readonly secondaryKey: string };
  readonly basicAuth: { readonly user: string; readonly password: string };
  /** The Event Hubs emulator's one shared access policy (it refuses any other key, as Azure does). */
  readonly eventHubs: { readonly keyName: string; readonly key: string };
}

const randomKey = (bytes = 24) => randomBytes(bytes).toString('base64url');

export function generateSecrets(): LocalSecrets {
  return {
    functionKey: randomKey(),
    subscription: {
      primaryKey: randomBytes(16).toString('hex'),
      secondaryKey: randomBytes(16).toString('hex'),
    },
    basicAuth: { user: PIPELINE_NAMES.basicAuthUser, password: randomKey(18) },
    eventHubs: generateEventHubsKey(),
  };
}

function generateEventHubsKey(): LocalSecrets['eventHubs'] {
  return { keyName: 'RootManageSharedAccessKey', key: randomBytes(32).toString('base64') };
}

/** Reads the secrets file, or creates it (mode 0600) when it does not exist yet. */
export function loadOrCreateSecrets(path: string): LocalSecrets {
  if (existsSync(path)) {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalSecrets>;
    if (!parsed.functionKey || !parsed.subscription?.primaryKey || !parsed.basicAuth?.password) {
      throw new Error(`${path} is incomplete; delete it and a new one will be generated`);
    }
    // A secrets file from before the Event Hubs key existed gets one, and keeps everything else.
    if (!parsed.eventHubs?.key || !parsed.eventHubs.keyName) {
      const upgraded = { ...parsed, eventHubs: generateEventHubsKey() } as LocalSecrets;
      writeFileSync(path, JSON.stringify(upgraded, null, 2) + '\n', { mode: 0o600 });
      return upgraded;
    }
    return parsed as LocalSecrets;
  }
  const secrets = generateSecrets();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

export function basicAuthHeader(secrets: LocalSecrets): string {
  return `Basic ${Buffer.from(`${secrets.basicAuth.user}:${secrets.basicAuth.password}`).toString('base64')}`;
}
