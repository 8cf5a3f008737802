import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { readRequestSchema } from '../src/apim-schema';
import type { RepositoryRef } from '../src/bootstrap-stack';
import { BootstrapStack } from '../src/bootstrap-stack';
import type { EnvironmentConfig } from '../src/config';
import { ENVIRONMENTS } from '../src/config';
import { PipelineStack } from '../src/pipeline-stack';
import type { PolicySet } from '../src/policy-files';
import { POLICY_FILES, repositoryRoot } from '../src/policy-files';
import type { TerraformJson } from '../src/security-rules';

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
export const REPOSITORY = 'octo/harvey-fork';
export const ROOT = repositoryRoot();
export const POLICIES_DIR = path.join(ROOT, 'policies');
export const FIXTURE_POLICIES_DIR = path.join(__dirname, 'fixtures', 'policies');

/** Which policy files exist in `policies/` (the rest come from the test fixtures). */
export function policyFilesOnDisk(): Record<string, boolean> {
  return Object.fromEntries(
    Object.values(POLICY_FILES).map(({ file }) => [file, existsSync(path.join(POLICIES_DIR, file))]),
  );
}

/** The real policy files where they exist, the fixtures for required files that do not. */
export function testPolicies(): PolicySet {
  const result: Record<string, string> = {};
  for (const [scope, { file, required }] of Object.entries(POLICY_FILES)) {
    const real = path.join(POLICIES_DIR, file);
    const fixture = path.join(FIXTURE_POLICIES_DIR, file);
    if (existsSync(real)) result[scope] = readFileSync(real, 'utf8');
    else if (required) result[scope] = readFileSync(fixture, 'utf8');
  }
  return result;
}

export interface Synthesized {
  readonly stack: PipelineStack;
  /** The JSON string, for cdktf's matchers. */
  readonly json: string;
  readonly tf: TerraformJson & { terraform?: Record<string, unknown>; provider?: Record<string, unknown> };
}

export function synthPipeline(
  config: EnvironmentConfig = ENVIRONMENTS.dev,
  policies: PolicySet = testPolicies(),
): Synthesized {
  const app = Testing.app();
  const stack = new PipelineStack(app, `pipeline-${config.name}`, {
    config,
    subscriptionId: SUBSCRIPTION,
    repository: REPOSITORY,
    policies,
    requestSchema: readRequestSchema().schema,
  });
  const json = Testing.synth(stack);
  return { stack, json, tf: JSON.parse(json) as Synthesized['tf'] };
}

type Attrs = Record<string, unknown>;

/** All resources of a type, by logical name. */
export function resources(tf: TerraformJson, type: string): Record<string, Attrs> {
  return tf.resource?.[type] ?? {};
}

/** Logical names encode the construct path: `a/b` becomes `a_b` or `a_b_<hash>`. */
function matchesPath(logicalName: string, pathSuffix: string): boolean {
  const wanted = pathSuffix.replace(/\//g, '_');
  const withoutHash = logicalName.replace(/_[0-9A-F]{8}$/, '');
  return withoutHash === wanted || withoutHash.endsWith(`_${wanted}`);
}

/** The one resource of a type whose construct path ends with `pathSuffix` (or the only one). */
export function resource(tf: TerraformJson, type: string, pathSuffix?: string): Attrs {
  const all = Object.entries(resources(tf, type));
  const matches = pathSuffix ? all.filter(([name]) => matchesPath(name, pathSuffix)) : all;
  if (matches.length !== 1)
    throw new Error(
      `expected one ${type}${pathSuffix ? ` at */${pathSuffix}` : ''}, found ${matches.length}`,
    );
  return matches[0]![1];
}

/** `${type.name.attr}` for the resource at a construct path suffix. */
export function ref(tf: TerraformJson, type: string, pathSuffix: string, attribute = 'id'): string {
  const entry = Object.keys(resources(tf, type)).filter((name) => matchesPath(name, pathSuffix));
  if (entry.length !== 1) throw new Error(`expected one ${type} at */${pathSuffix}, found ${entry.length}`);
  return `\${${type}.${entry[0]}.${attribute}}`;
}

export const BOOTSTRAP_REF: RepositoryRef = {
  repository: 'octo/harvey-fork',
  ownerId: '583231',
  repositoryId: '1296269',
};
export const BOOTSTRAP_GROUPS = [
  { environment: 'dev', name: 'rg-harvey-dev', location: 'swedencentral', workload: 'harvey' },
  { environment: 'prod', name: 'rg-harvey-prod', location: 'swedencentral', workload: 'harvey' },
];

export type BootstrapJson = TerraformJson & {
  resource: Record<string, Record<string, Attrs>>;
  output: Record<string, { value: string }>;
  provider: { azurerm: Attrs[] };
};

export function synthBootstrap(repository: RepositoryRef = BOOTSTRAP_REF): BootstrapJson {
  const app = Testing.app();
  const stack = new BootstrapStack(app, 'bootstrap', {
    repository,
    subscriptionId: SUBSCRIPTION,
    location: 'swedencentral',
    githubEnvironment: 'production',
    pipelineResourceGroups: BOOTSTRAP_GROUPS,
  });
  return JSON.parse(Testing.synth(stack)) as BootstrapJson;
}
