import { readFileSync } from 'node:fs';

/**
 * The host's settings, from a file in the local.settings.json format:
 * `{ "Values": { ...app settings... }, "FunctionKeys": { "default": "<key>", "<function>": "<key>" } }`.
 * `Values` become the process's environment (as app settings do in Azure); `FunctionKeys.default` is
 * accepted by every function (a host key), a key under a function's name only by that function.
 */
export interface HostSettings {
  readonly values: Readonly<Record<string, string>>;
  readonly functionKeys?: Readonly<Record<string, string>>;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function readSettingsFile(path: string): HostSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SettingsError(`Cannot read the settings file ${path}: ${(error as Error).message}`);
  }
  return parseLocalSettings(parsed, path);
}

export function parseLocalSettings(parsed: unknown, source = 'settings'): HostSettings {
  if (typeof parsed !== 'object' || parsed === null)
    throw new SettingsError(`${source}: expected a JSON object`);
  const { Values, FunctionKeys, IsEncrypted } = parsed as Record<string, unknown>;
  if (IsEncrypted === true)
    throw new SettingsError(`${source}: encrypted settings are not supported (set "IsEncrypted": false)`);
  return {
    values: stringMap(Values ?? {}, `${source}: Values`),
    functionKeys: stringMap(FunctionKeys ?? {}, `${source}: FunctionKeys`),
  };
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SettingsError(`${what} must be an object of strings`);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new SettingsError(`${what}.${key} must be a string`);
    result[key] = entry;
  }
  return result;
}

/** Resolves `%NAME%` app-setting expressions in a binding property, as the Functions host does. */
export function resolveSettingExpressions(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return text.replace(/%([^%]+)%/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined || value === '')
      throw new SettingsError(`${where}: the app setting "${name}" (from "%${name}%") is not set`);
    return value;
  });
}

/**
 * The connection string behind a binding's `connection` setting. Identity-based connections
 * (`<name>__fullyQualifiedNamespace`, `<name>__accountEndpoint`, ...) are how Azure runs; the local
 * emulators take connection strings, so those are all this host accepts.
 */
export function connectionString(
  name: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  const value = values[name];
  if (value) return value;
  const identity = Object.keys(values).find((key) => key.startsWith(`${name}__`));
  throw new SettingsError(
    identity
      ? `${where}: connection "${name}" is identity-based (${identity}); the local host needs "${name}" set to the emulator's connection string`
      : `${where}: connection "${name}" is not set (add "${name}" to Values)`,
  );
}
