import { readFileSync } from 'node:fs';
import { PIPELINE_NAMES } from '@pipeline/schemas';
import type { SharedAccessKey } from './sas';

/**
 * The policy every connection string of Microsoft's Docker emulator carries (same name and value):
 * a well-known placeholder, not a secret. It is the emulator's one policy unless the config names
 * others, so a client with any other key is refused as the service refuses it.
 */
export const EMULATOR_KEY_NAME = 'RootManageSharedAccessKey';
export const EMULATOR_KEY = 'SAS_KEY_VALUE';

/** One event hub of the emulated namespace. */
export interface EventHubConfig {
  /** The hub's name, as it appears in `EntityPath` (case-insensitive, like the service). */
  readonly name: string;
  /** Number of partitions, ids "0" .. "n-1". Default 2. */
  readonly partitionCount?: number;
  /** Consumer groups besides `$Default`, which always exists. */
  readonly consumerGroups?: readonly string[];
  /** Time-based retention in hours. Default 24 (the Standard tier's one day). */
  readonly retentionHours?: number;
}

/** The emulator's configuration: a namespace's hubs and a few storage knobs. */
export interface EmulatorConfig {
  /** Namespace name, used in error messages and the properties reply. Default "emulatorns". */
  readonly namespace?: string;
  readonly eventHubs: readonly EventHubConfig[];
  /** Largest event or batch a sender may transfer, in bytes. Default 1 MiB, as the service. */
  readonly maxMessageBytes?: number;
  /** A partition log rolls to a new segment file past this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** fsync each group commit before acknowledging (survives power loss, not only a crash). Default false. */
  readonly fsync?: boolean;
  /**
   * The namespace's shared access policies. A SAS token must be signed with one of these keys, as
   * the service requires. Default: the well-known `RootManageSharedAccessKey` / `SAS_KEY_VALUE`.
   */
  readonly sharedAccessKeys?: readonly SharedAccessKey[];
  /** Accept a token signed with any key (the Docker emulator's behaviour). Default false. */
  readonly acceptAnyKey?: boolean;
}

/** A hub after defaults are applied. */
export interface ResolvedHub {
  readonly name: string;
  readonly partitionIds: readonly string[];
  /** Consumer group names, `$Default` first; lookups are case-insensitive. */
  readonly consumerGroups: readonly string[];
  readonly retentionMs: number;
  readonly createdAt: Date;
}

export interface ResolvedConfig {
  readonly namespace: string;
  readonly hubs: readonly ResolvedHub[];
  readonly maxMessageBytes: number;
  readonly segmentBytes: number;
  readonly fsync: boolean;
  /** The keys a SAS token must be signed with; undefined accepts any key (`acceptAnyKey`). */
  readonly sharedAccessKeys: readonly SharedAccessKey[] | undefined;
}

export const DEFAULT_CONFIG: EmulatorConfig = {
  eventHubs: [{ name: PIPELINE_NAMES.eventHub, partitionCount: 2, consumerGroups: [], retentionHours: 24 }],
};

export const DEFAULT_CONSUMER_GROUP = '$Default';
const ONE_MIB = 1024 * 1024;

/** Thrown for a configuration that cannot run; `problems` lists every reason. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid Event Hubs emulator configuration (${source}): ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a config from a path or takes an object. Besides our own shape it accepts the
 * `UserConfig.NamespaceConfig[].Entities[]` layout of Microsoft's Docker emulator Config.json,
 * so a user can bring the file they already have.
 */
export function loadConfig(config: EmulatorConfig | string | undefined): ResolvedConfig {
  if (config === undefined) return resolveConfig(DEFAULT_CONFIG, 'defaults');
  if (typeof config !== 'string') return resolveConfig(config, 'options');
  let text: string;
  try {
    text = readFileSync(config, 'utf8');
  } catch (err) {
    throw new ConfigError(config, [`cannot read the file: ${(err as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(config, [`not valid JSON: ${(err as Error).message}`]);
  }
  return resolveConfig(fromMicrosoftLayout(parsed), config);
}

interface MicrosoftEntity {
  Name?: unknown;
  PartitionCount?: unknown;
  ConsumerGroups?: { Name?: unknown }[];
}

function fromMicrosoftLayout(parsed: unknown): unknown {
  const user = (
    parsed as { UserConfig?: { NamespaceConfig?: { Name?: unknown; Entities?: MicrosoftEntity[] }[] } }
  )?.UserConfig;
  const ns = user?.NamespaceConfig?.[0];
  if (!ns) return parsed;
  return {
    namespace: ns.Name,
    eventHubs: (ns.Entities ?? []).map((e) => ({
      name: e.Name,
      partitionCount: typeof e.PartitionCount === 'string' ? Number(e.PartitionCount) : e.PartitionCount,
      consumerGroups: (e.ConsumerGroups ?? []).map((g) => g.Name),
    })),
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const GROUP = /^\$?[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;

/** Applies defaults and validates; throws a ConfigError listing every problem found. */
export function resolveConfig(input: unknown, source = 'options'): ResolvedConfig {
  const problems: string[] = [];
  const cfg = (input ?? {}) as Partial<EmulatorConfig>;
  if (typeof input !== 'object' || input === null) problems.push('expected an object');
  const hubsIn: readonly (Partial<EventHubConfig> | null)[] = Array.isArray(cfg.eventHubs)
    ? (cfg.eventHubs as readonly (Partial<EventHubConfig> | null)[])
    : [];
  if (!Array.isArray(cfg.eventHubs) || hubsIn.length === 0) {
    problems.push('eventHubs: expected a non-empty array');
  }
  const positiveInt = (v: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      problems.push(`${name}: expected an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const createdAt = new Date();
  const seen = new Set<string>();
  const hubs: ResolvedHub[] = hubsIn.map((h, i) => {
    const where = `eventHubs[${i}]`;
    const name = typeof h?.name === 'string' ? h.name : '';
    if (!NAME.test(name))
      problems.push(
        `${where}.name: expected letters, digits, '.', '_' or '-', got ${JSON.stringify(h?.name)}`,
      );
    if (seen.has(name.toLowerCase())) problems.push(`${where}.name: duplicate hub ${JSON.stringify(name)}`);
    seen.add(name.toLowerCase());
    const partitionCount = positiveInt(h?.partitionCount, `${where}.partitionCount`, 2, 32);
    const groups = [DEFAULT_CONSUMER_GROUP];
    const groupsIn: unknown = h?.consumerGroups ?? [];
    if (!Array.isArray(groupsIn)) problems.push(`${where}.consumerGroups: expected an array of names`);
    for (const g of Array.isArray(groupsIn) ? (groupsIn as unknown[]) : []) {
      if (typeof g !== 'string' || !GROUP.test(g)) {
        problems.push(`${where}.consumerGroups: invalid name ${JSON.stringify(g)}`);
      } else if (!groups.some((x) => x.toLowerCase() === g.toLowerCase())) {
        groups.push(g);
      }
    }
    let retentionHours = 24;
    if (h?.retentionHours !== undefined) {
      if (typeof h.retentionHours !== 'number' || !(h.retentionHours > 0)) {
        problems.push(
          `${where}.retentionHours: expected a positive number, got ${JSON.stringify(h.retentionHours)}`,
        );
      } else retentionHours = h.retentionHours;
    }
    return {
      name,
      partitionIds: Array.from({ length: partitionCount }, (_, p) => String(p)),
      consumerGroups: groups,
      retentionMs: retentionHours * 3600_000,
      createdAt,
    };
  });
  const maxMessageBytes = positiveInt(cfg.maxMessageBytes, 'maxMessageBytes', ONE_MIB, 256 * ONE_MIB);
  const segmentBytes = positiveInt(cfg.segmentBytes, 'segmentBytes', 64 * ONE_MIB, 1024 * ONE_MIB);
  if (cfg.fsync !== undefined && typeof cfg.fsync !== 'boolean')
    problems.push('fsync: expected true or false');
  if (cfg.namespace !== undefined && (typeof cfg.namespace !== 'string' || !NAME.test(cfg.namespace))) {
    problems.push(`namespace: invalid name ${JSON.stringify(cfg.namespace)}`);
  }
  const keys: unknown = cfg.sharedAccessKeys ?? [{ name: EMULATOR_KEY_NAME, key: EMULATOR_KEY }];
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every(
      (k: Partial<SharedAccessKey> | null) =>
        typeof k?.name === 'string' && k.name !== '' && typeof k.key === 'string' && k.key !== '',
    )
  )
    problems.push('sharedAccessKeys: expected a non-empty array of { "name": "...", "key": "..." }');
  if (cfg.acceptAnyKey !== undefined && typeof cfg.acceptAnyKey !== 'boolean')
    problems.push('acceptAnyKey: expected true or false');
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    namespace: cfg.namespace ?? 'emulatorns',
    hubs,
    maxMessageBytes,
    segmentBytes,
    fsync: cfg.fsync ?? false,
    sharedAccessKeys: cfg.acceptAnyKey === true ? undefined : (keys as readonly SharedAccessKey[]),
  };
}
