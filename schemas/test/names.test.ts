import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  APIM_NAMES,
  apiBaseUrl,
  APP_SETTINGS,
  CONNECTIONS,
  DEPLOYMENT_DEFAULTS,
  FUNCTION_ROUTE_PREFIX,
  FUNCTION_ROUTES,
  functionsBaseUrl,
  ingestUrl,
  PIPELINE_APP_SETTINGS,
  PIPELINE_NAMES,
  PIPELINE_OUTPUTS,
  POLICY_FILE_NAMES,
} from '../src';

/**
 * The contract is the one place for the names every workspace agrees on (issue 17; docs/decisions.md
 * CONTRACT-2). Each copy elsewhere is a chance to drift, as two did, so this scans every other
 * workspace's source (not tests, fixtures or docs) for the contract's values written as string literals
 * and fails on any the allow-list below does not explain.
 */
const ROOT = join(__dirname, '..', '..');

/** Folders never scanned: build output, dependencies, tests and their fixtures, prose. */
const SKIPPED_FOLDERS = new Set([
  'node_modules',
  'dist',
  'cdktf.out',
  '.gen',
  '.git',
  '.data',
  'coverage',
  'docs',
  'test',
  'tests',
  'fixtures',
  'generated',
  // The committed sample dataset (producer/sample): data, not code.
  'sample',
]);
const SCANNED_FILE = /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|xml|sh|http)$/;

function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [];
}

/**
 * Values that are protocol words or the Functions platform's own names, not ours to own: the API
 * operation's method and URL template (`POST`, `/events` are in every HTTP client), and
 * `AzureWebJobsStorage`, which cdktf's security rules and the local host must spell as Azure does.
 */
const NOT_SCANNED = new Set<string>([
  APIM_NAMES.operationMethod,
  APIM_NAMES.operationUrlTemplate,
  CONNECTIONS.hostStorage,
]);

const CONTRACT_VALUES = [
  ...new Set([
    ...leaves(PIPELINE_NAMES),
    ...leaves(FUNCTION_ROUTES),
    ...leaves(APP_SETTINGS),
    ...leaves(CONNECTIONS),
    ...leaves(APIM_NAMES),
    ...leaves(PIPELINE_OUTPUTS),
    DEPLOYMENT_DEFAULTS.workload,
  ]),
].filter((value) => !NOT_SCANNED.has(value));

/**
 * Where a contract value may appear outside the contract, and why: file (relative, `/`-separated) ->
 * value -> reason. Only for files that cannot import (policy XML, JSON samples, package manifests) or
 * where the same word names something else.
 */
const ALLOWED: Record<string, Record<string, string>> = {
  'policies/api-ingest.xml': {
    [APIM_NAMES.backend]: 'APIM policy XML is deployed verbatim; the policy test below checks the id',
    [APIM_NAMES.schema]: 'APIM policy XML is deployed verbatim; the policy test below checks the id',
    [APIM_NAMES.api]: 'the basic-auth realm shown to clients, a display string',
  },
  'functions/local.settings.sample.json': Object.fromEntries(
    [...Object.entries(PIPELINE_APP_SETTINGS).flat(), APP_SETTINGS.statsCacheMs].map((value) => [
      value,
      'a JSON sample for `func start` cannot import; the sample test below pins it to the contract',
    ]),
  ),
  'functions/src/functions/ingest.ts': {
    [APIM_NAMES.api]: "the function's name in the Functions app",
  },
  'functions/src/functions/images.ts': {
    [PIPELINE_NAMES.containers.images]: "the function's name in the Functions app, not the container",
  },
  'jest/tiers.js': {
    [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace folder in the test tiers',
  },
  'functions/scripts/ingest-puts.mjs': {
    [APIM_NAMES.api]: "the function's name in its invocation context",
    [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace folder (the sample dataset path)',
  },
  'functions/src/dashboard/main.ts': {
    [PIPELINE_NAMES.containers.deadLetters]: "a DOM element id in the dashboard's page",
    [APIM_NAMES.api]: "a latency row key in the dashboard's page",
  },
  '.github/scripts/src/cli.ts': {
    [PIPELINE_NAMES.cosmosContainer]: "a workflow step output's name (the event count)",
  },
  '.github/scripts/src/replay-inputs.ts': {
    [PIPELINE_NAMES.cosmosContainer]: "the replay workflow's input name (how many events to generate)",
  },
  '.github/scripts/src/report.ts': {
    [PIPELINE_NAMES.cosmosContainer]: 'a column header of the replay report',
  },
  '.github/scripts/src/preflight.ts': {
    [PIPELINE_NAMES.functionHostKeyName]: 'the `az apim` command group',
  },
  'producer/src/replay/report.ts': {
    [PIPELINE_NAMES.cosmosContainer]: "a property of the replay report's type",
  },
  'producer/src/sample.ts': {
    [PIPELINE_NAMES.eventHub]: 'a progress kind of the sample generator',
    [PIPELINE_NAMES.containers.images]: "the dataset's images folder and a progress kind",
  },
  'producer/src/cli.ts': {
    [PIPELINE_NAMES.containers.images]: "the prepared dataset's images folder",
  },
  'producer/src/replay/source.ts': {
    [PIPELINE_NAMES.containers.images]: "the prepared dataset's images folder",
  },
  'producer/src/bench/main.ts': {
    [PIPELINE_NAMES.containers.images]: "the prepared dataset's images folder",
  },
  'cdktf/src/constructs/event-hubs.ts': {
    [PIPELINE_NAMES.containers.capture]: 'a construct id (Terraform resource address), not the container',
  },
  'local/functions-host/src/outputs.ts': {
    [PIPELINE_NAMES.partitionKey]:
      "the local host's partition key for a container an output binding creates without naming one (the pipeline declares no such binding)",
  },
  'local/stack/src/bench/report.ts': {
    [PIPELINE_NAMES.basicAuthUser]: "the bench process's label in the report's prose",
  },
  '.github/workflows/replay.yml': {
    [PIPELINE_NAMES.cosmosContainer]: "an input's description (prose): `events` is the input's name",
  },
  'local/stack/src/paths.ts': {
    [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace folder',
  },
  'package.json': { [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace and its npm script' },
  'producer/package.json': { [PIPELINE_NAMES.basicAuthUser]: "the producer workspace's bin name" },
  'tsconfig.json': { [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace folder' },
  'jest.preset.js': { [PIPELINE_NAMES.basicAuthUser]: 'the producer workspace folder' },
};

function sourceFiles(
  dir: string,
  found: string[] = [],
  skipped: ReadonlySet<string> = SKIPPED_FOLDERS,
): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipped.has(entry.name)) sourceFiles(join(dir, entry.name), found, skipped);
    } else if (SCANNED_FILE.test(entry.name) && entry.name !== 'package-lock.json') {
      found.push(join(dir, entry.name));
    }
  }
  return found;
}

/**
 * The code of a file without its comments: prose may name a resource (`the tweets hub`); only a
 * literal in code is a second definition. A `//` counts as a comment at a line's start or after a
 * space, so `'http://...'` inside a string survives.
 */
export function withoutComments(text: string, file: string): string {
  if (file.endsWith('.xml')) return text.replace(/<!--[\s\S]*?-->/g, '');
  if (/\.(ya?ml|sh)$/.test(file)) return text.replace(/(^|\s)#.*$/gm, '$1');
  if (file.endsWith('.json')) return text;
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Every quoted occurrence (`'v'`, `"v"`, `` `v` ``) of a contract value in the code, by line. */
export function literalsIn(code: string, values: readonly string[]): { value: string; line: number }[] {
  const hits: { value: string; line: number }[] = [];
  const lines = code.split('\n');
  for (const value of values) {
    const quoted = new RegExp(`(['"\`])${escape(value)}\\1`);
    lines.forEach((text, index) => {
      if (quoted.test(text)) hits.push({ value, line: index + 1 });
    });
  }
  return hits;
}

describe('the contract is the only place the shared names are written', () => {
  test('no workspace source outside schemas/ spells a contract value as a literal', () => {
    const problems: string[] = [];
    const files = sourceFiles(ROOT).map((file) => relative(ROOT, file).split(sep).join('/'));
    expect(files.length).toBeGreaterThan(100); // the scan really walked the repository
    for (const file of files) {
      if (file.startsWith('schemas/')) continue;
      const code = withoutComments(readFileSync(join(ROOT, file), 'utf8'), file);
      for (const { value, line } of literalsIn(code, CONTRACT_VALUES)) {
        if (ALLOWED[file]?.[value]) continue;
        problems.push(`${file}:${line}: '${value}' (import it from @pipeline/schemas)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every allow-list entry is still needed (a stale one would hide a new copy)', () => {
    const unused: string[] = [];
    for (const [file, values] of Object.entries(ALLOWED)) {
      const code = withoutComments(readFileSync(join(ROOT, file), 'utf8'), file);
      const found = new Set(literalsIn(code, Object.keys(values)).map((hit) => hit.value));
      for (const value of Object.keys(values)) if (!found.has(value)) unused.push(`${file}: '${value}'`);
    }
    expect(unused).toEqual([]);
  });

  test('the scan finds a copied literal, in code but not in a comment', () => {
    const code = withoutComments(
      [
        "const hub = 'tweets'; // the 'tweets' hub",
        '/* "raw-events" */ const url = "http://x/raw-events";',
        'const group = `cosmos-writer`;',
      ].join('\n'),
      'example.ts',
    );
    expect(literalsIn(code, CONTRACT_VALUES)).toEqual([
      { value: PIPELINE_NAMES.eventHub, line: 1 },
      { value: PIPELINE_NAMES.consumerGroup, line: 3 },
    ]);
  });
});

describe('the ingest URL is built by the contract', () => {
  test('the helpers put the API path, the route prefix and the route together', () => {
    expect(apiBaseUrl('https://apim-x.azure-api.net')).toBe('https://apim-x.azure-api.net/ingest');
    expect(ingestUrl(apiBaseUrl('https://apim-x.azure-api.net/'))).toBe(
      'https://apim-x.azure-api.net/ingest/events',
    );
    expect(functionsBaseUrl('http://127.0.0.1:7071')).toBe('http://127.0.0.1:7071/api');
    expect(ingestUrl(functionsBaseUrl('http://127.0.0.1:7071//'))).toBe('http://127.0.0.1:7071/api/events');
    // An empty origin gives the paths alone, for requests written by hand.
    expect(ingestUrl(apiBaseUrl(''))).toBe('/ingest/events');
    expect(ingestUrl(functionsBaseUrl(''))).toBe('/api/events');
  });

  test('a base that already ends with the route is kept (the producer takes either)', () => {
    expect(ingestUrl('http://x/ingest/events')).toBe('http://x/ingest/events');
    expect(ingestUrl('http://x/ingest/events/')).toBe('http://x/ingest/events');
    expect(ingestUrl('http://x/ingest/myevents')).toBe('http://x/ingest/myevents/events');
  });

  test("functions/host.json's route prefix is the contract's", () => {
    const host = JSON.parse(readFileSync(join(ROOT, 'functions', 'host.json'), 'utf8')) as {
      extensions?: { http?: { routePrefix?: string } };
    };
    expect(host.extensions?.http?.routePrefix).toBe(FUNCTION_ROUTE_PREFIX);
  });

  /**
   * The ingest path written by hand: `/ingest/events` or `/api/events` anywhere in code, or `/events`
   * ending a string (`${base}/events`, `'http://host/events'`), but not a relative module
   * (`'./events'`) or a longer path (`kaggle/events/...`, `${dir}/events.ndjson`). Tests and fixtures
   * are scanned too: a test that builds the URL itself would keep passing after the contract moved.
   */
  const HAND_BUILT_INGEST_URL = /\/(?:ingest|api)\/events(?![\w.-])|(?<!\.)\/events(?=['"`?#]|$)/m;

  /** Files that may still build the URL by hand, and why. */
  const URL_ALLOWED: Record<string, string> = {
    'functions/api.http': 'a REST client file of hand-written requests for people; it cannot import',
    'policies/schemas/tweet-event.json':
      "the schema's description, generated from the contract (buildIngestRequestSchema) into a file APIM receives as is",
    'functions/scripts/ingest-puts.mjs':
      'a plain ESM script that imports the built functions only; the invocation URL is a label in its fake request',
  };

  const SCANNED_FOR_URLS = new Set(
    [...SKIPPED_FOLDERS].filter((name) => !['test', 'tests', 'fixtures'].includes(name)),
  );

  test('no file outside the contract builds the ingest URL by hand, tests included', () => {
    const files = sourceFiles(ROOT, [], SCANNED_FOR_URLS).map((file) =>
      relative(ROOT, file).split(sep).join('/'),
    );
    expect(files.some((file) => file.includes('/test/'))).toBe(true); // tests really are scanned
    const problems: string[] = [];
    for (const file of files) {
      if (file.startsWith('schemas/') || URL_ALLOWED[file]) continue;
      const lines = withoutComments(readFileSync(join(ROOT, file), 'utf8'), file).split('\n');
      lines.forEach((text, index) => {
        if (HAND_BUILT_INGEST_URL.test(text))
          problems.push(
            `${file}:${index + 1}: ${text.trim()} (use ingestUrl/apiBaseUrl/functionsBaseUrl from @pipeline/schemas)`,
          );
      });
    }
    expect(problems).toEqual([]);
  });

  test('every URL allow-list entry is still needed', () => {
    const stale = Object.keys(URL_ALLOWED).filter(
      (file) => !HAND_BUILT_INGEST_URL.test(withoutComments(readFileSync(join(ROOT, file), 'utf8'), file)),
    );
    expect(stale).toEqual([]);
  });

  test('the URL scan finds a hand-built ingest URL, and not a module or a longer path', () => {
    const found = [
      'fetch(`${base}/events`, {',
      "send('http://127.0.0.1/events')",
      "request('/ingest/events?x=1')",
      "['POST', '/ingest/events/extra']",
      'expect(url).toBe(`/api/events`)',
    ];
    const ignored = [
      "import { tweetEvent } from './events';",
      "import { scenarioEvents } from '../events';",
      'return `kaggle/events/${hash}.ndjson`;',
      'node cli.js dataset --out "${RUNNER_TEMP}/events.ndjson"',
      '/api/eventsource',
    ];
    expect(found.filter((line) => !HAND_BUILT_INGEST_URL.test(line))).toEqual([]);
    expect(ignored.filter((line) => HAND_BUILT_INGEST_URL.test(line))).toEqual([]);
  });
});

describe('files that cannot import the contract agree with it', () => {
  const policies = join(ROOT, 'policies');

  test('the policy files are named by the contract rule and name its entities', () => {
    const files = readdirSync(policies).filter((file) => file.endsWith('.xml'));
    const known = [
      POLICY_FILE_NAMES.global(),
      POLICY_FILE_NAMES.product(APIM_NAMES.product),
      POLICY_FILE_NAMES.api(APIM_NAMES.api),
      POLICY_FILE_NAMES.operation(APIM_NAMES.api, APIM_NAMES.operation),
    ];
    expect(files.filter((file) => !known.includes(file))).toEqual([]);
    const xml = files
      .map((file) => withoutComments(readFileSync(join(policies, file), 'utf8'), file))
      .join('\n');
    expect([...xml.matchAll(/backend-id="([^"]+)"/g)].map((m) => m[1])).toEqual([APIM_NAMES.backend]);
    expect([...xml.matchAll(/schema-id="([^"]+)"/g)].map((m) => m[1])).toEqual([APIM_NAMES.schema]);
    const namedValues = new Set([...xml.matchAll(/\{\{([^}]+)\}\}/g)].map((m) => m[1]));
    expect([...namedValues].filter((name) => !leaves(APIM_NAMES.namedValues).includes(name!))).toEqual([]);
    expect(readdirSync(join(policies, POLICY_FILE_NAMES.schemasFolder))).toEqual([
      POLICY_FILE_NAMES.schema(APIM_NAMES.schema),
    ]);
  });

  test("functions/local.settings.sample.json holds the contract's name settings", () => {
    const sample = JSON.parse(
      readFileSync(join(ROOT, 'functions', 'local.settings.sample.json'), 'utf8'),
    ) as {
      Values: Record<string, string>;
    };
    expect(sample.Values).toMatchObject(PIPELINE_APP_SETTINGS);
    for (const connection of [CONNECTIONS.storage, CONNECTIONS.eventHub, CONNECTIONS.cosmos]) {
      expect(Object.keys(sample.Values).some((name) => name.startsWith(`${connection}__`))).toBe(true);
    }
  });
});
