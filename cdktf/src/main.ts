/**
 * Synthesizes plain Terraform JSON into cdktf/cdktf.out/stacks/<stack>/cdk.tf.json with plain
 * node (no cdktf-cli), then runs the security rules over every pipeline stack and fails on any
 * violation. Stacks: `pipeline-dev`, `pipeline-prod`, and `bootstrap` when GITHUB_REPOSITORY (or
 * BOOTSTRAP_REPOSITORY) names the fork; the bootstrap also needs GITHUB_REPOSITORY_OWNER_ID and
 * GITHUB_REPOSITORY_ID (GitHub's immutable ids, for the OIDC subjects).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { readRequestSchema } from './apim-schema';
import { remoteStateFromEnv } from './backend';
import { BootstrapStack, repositoryRefFromEnv } from './bootstrap-stack';
import { ENVIRONMENTS, loadConfig } from './config';
import { resourceGroupName } from './naming';
import { PipelineStack } from './pipeline-stack';
import { readPolicies } from './policy-files';
import { BOOTSTRAP_SECURITY_RULES, runSecurityRules } from './security-rules';

const UNSET_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

export interface SynthResult {
  readonly outdir: string;
  readonly stacks: readonly string[];
}

export function synthesize(env: NodeJS.ProcessEnv = process.env, outdir?: string): SynthResult {
  // The cdktf CLI passes CDKTF_OUTDIR relative to where it ran (npm's INIT_CWD), not to this workspace.
  const out =
    outdir ??
    (env.CDKTF_OUTDIR
      ? path.resolve(env.INIT_CWD ?? process.cwd(), env.CDKTF_OUTDIR)
      : path.join(__dirname, '..', '..', 'cdktf.out'));
  const app = new App({ outdir: out, stackTraces: false });
  const subscriptionId = env.ARM_SUBSCRIPTION_ID || env.AZURE_SUBSCRIPTION_ID || UNSET_SUBSCRIPTION;
  if (subscriptionId === UNSET_SUBSCRIPTION) {
    process.stderr.write(
      'note: ARM_SUBSCRIPTION_ID is not set; names use a placeholder subscription (fine for tests, not for deploying)\n',
    );
  }
  const repository = env.GITHUB_REPOSITORY || 'local/harvey-streaming-pipeline';
  const policies = readPolicies(env.POLICIES_DIR || undefined);
  const { schema: requestSchema } = readRequestSchema();
  const remoteState = remoteStateFromEnv(env);
  const stacks: string[] = [];
  for (const name of Object.keys(ENVIRONMENTS)) {
    const stackName = `pipeline-${name}`;
    new PipelineStack(app, stackName, {
      config: loadConfig(name, env),
      subscriptionId,
      repository,
      policies,
      requestSchema,
      remoteState,
      nameToken: env.NAME_TOKEN || undefined,
    });
    stacks.push(stackName);
  }
  const bootstrapRepository = env.BOOTSTRAP_REPOSITORY || env.GITHUB_REPOSITORY;
  if (bootstrapRepository) {
    new BootstrapStack(app, 'bootstrap', {
      // The ids are read only here: synthesizing the pipeline stacks never needs them.
      repository: repositoryRefFromEnv(bootstrapRepository, env),
      subscriptionId,
      pipelineResourceGroups: Object.keys(ENVIRONMENTS).map((name) => {
        const config = loadConfig(name, env);
        return {
          environment: config.name,
          name: resourceGroupName(config.workload, config.name),
          location: config.location,
          workload: config.workload,
        };
      }),
      location: env.AZURE_LOCATION || ENVIRONMENTS.dev.location,
      githubEnvironment: env.GITHUB_DEPLOY_ENVIRONMENT || 'production',
    });
    stacks.push('bootstrap');
  }
  app.synth();
  return { outdir: out, stacks };
}

if (require.main === module) {
  try {
    const started = process.hrtime.bigint();
    const result = synthesize();
    let failed = false;
    for (const stack of result.stacks) {
      const file = path.join(result.outdir, 'stacks', stack, 'cdk.tf.json');
      const rules = stack === 'bootstrap' ? BOOTSTRAP_SECURITY_RULES : undefined;
      const violations = runSecurityRules(JSON.parse(readFileSync(file, 'utf8')) as never, rules);
      for (const v of violations) process.stderr.write(`${stack}: [${v.rule}] ${v.resource}: ${v.message}\n`);
      failed ||= violations.length > 0;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(
      `synthesized ${result.stacks.join(', ')} into ${result.outdir} in ${ms.toFixed(0)} ms\n`,
    );
    if (failed) {
      process.stderr.write('security rules failed: see above\n');
      process.exitCode = 1;
    }
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
