import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { COMMANDS } from '../src/cli';
import { PROBE_USAGE } from '../src/probe-cli';
import { CACHE_MODES, DATASET_SOURCES } from '../src/replay-inputs';
import { PIPELINE_NAMES } from '@pipeline/schemas';
import { DATASETS_CONTAINER } from '../src/dataset-cache';
import { actionReferences, type Job, type LoadedWorkflow, loadWorkflows, type Step } from '../src/workflows';

const ROOT = join(__dirname, '../../..');
const workflows = loadWorkflows(join(ROOT, '.github/workflows'));
const byFile = (file: string): LoadedWorkflow => workflows.find((w) => w.file === file)!;
const jobsOf = (w: LoadedWorkflow) => Object.entries(w.doc.jobs);
const allJobs = workflows.flatMap((w) => jobsOf(w).map(([id, job]) => ({ file: w.file, id, job })));
const stepsOf = (job: Job): readonly Step[] => job.steps ?? [];

/** A step's environment as the runner builds it: workflow, then job, then step `env`. */
const effectiveEnv = (w: LoadedWorkflow, job: Job, step: Step): Record<string, unknown> => ({
  ...(w.doc.env ?? {}),
  ...(job.env ?? {}),
  ...(step.env ?? {}),
});
const synthesizes = (step: Step) => /\bcdktf synth\b|npm run -w cdktf synth/.test(step.run ?? '');

/** The rows of docs/deploying.md's secrets and variables table: name and kind. */
function documentedSettings(): { name: string; kind: string }[] {
  const docs = readFileSync(join(ROOT, 'docs/deploying.md'), 'utf8');
  const table = /\|\s*Name\s*\|\s*Kind\s*\|\s*Value[^\n]*\n\|\s*-{3,}[^\n]*\n((?:\|[^\n]*\n)+)/.exec(docs);
  expect(table).not.toBeNull();
  return table![1]!
    .trim()
    .split('\n')
    .map((row) => row.split('|').map((cell) => cell.trim()))
    .map((cells) => ({ name: cells[1]!.replace(/`/g, ''), kind: cells[2]! }));
}

/** Documented inputs of the pinned actions (their action.yml at the pinned release). */
const ACTION_INPUTS: Record<string, readonly string[]> = {
  'actions/checkout': [
    'repository',
    'ref',
    'token',
    'ssh-key',
    'persist-credentials',
    'path',
    'clean',
    'fetch-depth',
    'fetch-tags',
    'sparse-checkout',
    'submodules',
    'lfs',
    'filter',
    'show-progress',
    'set-safe-directory',
    'github-server-url',
  ],
  'actions/setup-node': [
    'node-version',
    'node-version-file',
    'architecture',
    'check-latest',
    'registry-url',
    'scope',
    'token',
    'cache',
    'cache-dependency-path',
    'package-manager-cache',
    'mirror',
    'mirror-token',
  ],
  'actions/upload-artifact': [
    'name',
    'path',
    'if-no-files-found',
    'retention-days',
    'compression-level',
    'overwrite',
    'include-hidden-files',
    'archive',
  ],
  'actions/download-artifact': [
    'name',
    'artifact-ids',
    'path',
    'pattern',
    'merge-multiple',
    'github-token',
    'repository',
    'run-id',
  ],
  'azure/login': [
    'creds',
    'client-id',
    'tenant-id',
    'subscription-id',
    'enable-AzPSSession',
    'environment',
    'allow-no-subscriptions',
    'audience',
    'auth-type',
  ],
  'hashicorp/setup-terraform': [
    'cli_config_credentials_hostname',
    'cli_config_credentials_token',
    'terraform_version',
    'terraform_wrapper',
  ],
};

/** A job signs in to Azure with OIDC when it uses azure/login or lets Terraform use the OIDC token. */
const usesOidc = (job: Job) =>
  stepsOf(job).some((s) => s.uses?.startsWith('azure/login@')) || String(job.env?.ARM_USE_OIDC) === 'true';

const permissionsOf = (p: Job['permissions']): Record<string, string> =>
  p === undefined ? {} : typeof p === 'string' ? { '*': p } : p;

describe('workflow structure', () => {
  it('pins every third-party action to a full commit SHA with its release in a comment', () => {
    const refs = workflows.flatMap(actionReferences);
    expect(refs.length).toBeGreaterThan(10);
    const bad = refs.filter((r) => !/^[0-9a-f]{40}$/.test(r.ref) || !/^v\d+(\.\d+){0,2}$/.test(r.comment));
    expect(bad.map((r) => `${r.file}:${r.line} ${r.action}@${r.ref} # ${r.comment}`)).toEqual([]);
  });

  it('uses one SHA and one release per action everywhere', () => {
    const seen = new Map<string, Set<string>>();
    for (const r of workflows.flatMap(actionReferences)) {
      const pins = seen.get(r.action) ?? new Set<string>();
      pins.add(`${r.ref} # ${r.comment}`);
      seen.set(r.action, pins);
    }
    const inconsistent = [...seen]
      .filter(([, pins]) => pins.size > 1)
      .map(([a, pins]) => `${a}: ${[...pins].join(' vs ')}`);
    expect(inconsistent).toEqual([]);
  });

  it('passes only documented inputs to each action (actionlint does not know these releases)', () => {
    const problems: string[] = [];
    for (const { file, id, job } of allJobs) {
      for (const step of stepsOf(job)) {
        if (!step.uses) continue;
        const action = step.uses.split('@')[0]!;
        const known = ACTION_INPUTS[action];
        if (!known) problems.push(`${file} ${id}: ${action} is not in the reviewed action list`);
        else
          for (const input of Object.keys(step.with ?? {}))
            if (!known.includes(input)) problems.push(`${file} ${id}: ${action} has no input ${input}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('defaults every workflow to read-only and gives every job explicit permissions', () => {
    for (const w of workflows) {
      expect([w.file, permissionsOf(w.doc.permissions)]).toEqual([w.file, { contents: 'read' }]);
    }
    expect(
      allJobs.filter(({ job }) => job.permissions === undefined).map(({ file, id }) => `${file} ${id}`),
    ).toEqual([]);
  });

  it('grants id-token: write exactly to the jobs that sign in with OIDC', () => {
    const mismatched = allJobs
      .filter(({ job }) => (permissionsOf(job.permissions)['id-token'] === 'write') !== usesOidc(job))
      .map(({ file, id }) => `${file} ${id}`);
    expect(mismatched).toEqual([]);
    expect(allJobs.filter(({ job }) => usesOidc(job)).length).toBeGreaterThanOrEqual(5);
  });

  it('writes nothing else, except the plan comment on pull requests', () => {
    const writes = allJobs.flatMap(({ file, id, job }) =>
      Object.entries(permissionsOf(job.permissions))
        .filter(([scope, level]) => level === 'write' && scope !== 'id-token')
        .map(([scope]) => `${file} ${id} ${scope}`),
    );
    expect(writes).toEqual(['ci.yml plan pull-requests']);
    const commenter = byFile('ci.yml').doc.jobs.plan!;
    expect(stepsOf(commenter).some((s) => s.run?.includes('cli.js pr-comment'))).toBe(true);
  });

  it('puts a timeout on every job', () => {
    const missing = allJobs.filter(({ job }) => {
      const t = job['timeout-minutes'];
      return typeof t !== 'number' || t <= 0 || t > 180;
    });
    expect(missing.map(({ file, id }) => `${file} ${id}`)).toEqual([]);
  });

  // The one exception is the macOS job: it follows macos-latest on purpose (issue 19), the macOS a
  // laptop moves to, and it gates no pull request.
  it('runs every job on a pinned runner image, but the macOS one', () => {
    expect(
      allJobs
        .filter(({ job }) => job['runs-on'] !== 'ubuntu-24.04')
        .map(({ file, id, job }) => `${file} ${id} ${job['runs-on']}`),
    ).toEqual(['ci.yml macos macos-latest']);
  });

  it('runs the quick start and the whole test suite on macOS, on pushes to main and manual runs only', () => {
    const ci = byFile('ci.yml').doc;
    const macos = ci.jobs.macos!;
    // Those are the two events this job may run on: ci.yml's push trigger is main only.
    expect(ci.on.push).toEqual({ branches: ['main'] });
    expect(macos.if).toBe("github.event_name == 'push' || github.event_name == 'workflow_dispatch'");
    expect(macos.needs).toBeUndefined();
    expect(permissionsOf(macos.permissions)).toEqual({ contents: 'read' });
    const runs = stepsOf(macos)
      .map((s) => s.run)
      .filter((r) => r !== undefined);
    // The README's quick start, in its order: install, start (CI=true stops it), test.
    expect(runs).toEqual(['npm ci', 'npm start', 'npm test']);
    // Nothing of Azure, and no browser setting: discovery must find the image's Chrome by itself.
    expect(JSON.stringify(macos)).not.toMatch(/secrets\.|vars\.|CHROME_PATH/);
    // Unit and end-to-end suites alike: one jest run over every workspace and every tier
    // (test-tiers.test.ts checks that the tiers hold every suite).
    const tiers = createRequire(__filename)(join(ROOT, 'jest/tiers.js')) as { WORKSPACES: string[] };
    for (const workspace of ['functions', 'local/stack', 'local/faults', 'local/gateway'])
      expect(tiers.WORKSPACES).toContain(workspace);
    expect(readFileSync(join(ROOT, 'package.json'), 'utf8')).toMatch(/"test": "[^"]*&& jest"/);
    expect(existsSync(join(ROOT, 'local/stack/test/stack.e2e.test.ts'))).toBe(true);
    // The guide a laptop user reads names this job and what each system needs.
    const guide = readFileSync(join(ROOT, 'docs/local-development.md'), 'utf8');
    const section = /\n## Your machine\n([\s\S]*?)\n## /.exec(guide)?.[1] ?? '';
    for (const needle of ['macOS', 'Linux', 'WSL2', 'CHROME_PATH', '`macos` job', 'macos-latest'])
      expect([needle, section.includes(needle)]).toEqual([needle, true]);
  });

  it('deploys behind the production environment, one deployment per configuration at a time', () => {
    const deploy = byFile('deploy.yml').doc;
    const destroy = byFile('destroy.yml').doc;
    expect(Object.keys(deploy.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(deploy.on.push).toEqual({ branches: ['main'] });
    for (const w of [deploy, destroy]) {
      const concurrency = w.concurrency as { group: string; 'cancel-in-progress': boolean };
      expect(concurrency.group).toMatch(/^azure-\$\{\{ inputs\.pipeline_environment/);
      expect(concurrency['cancel-in-progress']).toBe(false);
    }
    // Deploy and destroy of one configuration share a group, so they queue behind each other.
    const groupOf = (w: typeof deploy) =>
      typeof w.concurrency === 'string' ? w.concurrency : w.concurrency!.group;
    expect(groupOf(deploy).startsWith(groupOf(destroy).replace(/ \}\}$/, ''))).toBe(true);
    // Every job that changes Azure or reads its secrets runs in the production environment.
    const environmentName = (job: Job) =>
      typeof job.environment === 'string' ? job.environment : job.environment?.name;
    const azureJobs = workflows
      .filter((w) => w.file !== 'ci.yml')
      .flatMap((w) =>
        jobsOf(w)
          .filter(([id, job]) => usesOidc(job) && !(w.file === 'deploy.yml' && id === 'plan'))
          .map(([id, job]) => [`${w.file} ${id}`, environmentName(job)]),
      );
    expect(azureJobs.length).toBe(4);
    expect(azureJobs).toEqual(azureJobs.map(([name]) => [name, 'production']));
  });

  it('applies only the reviewed change set and proves the deployment with the smoke test', () => {
    const { jobs } = byFile('deploy.yml').doc;
    expect(jobs.apply!.needs).toBe('plan');
    expect(jobs.smoke!.needs).toBe('apply');
    const check = stepsOf(jobs.apply!).find((s) => s.run?.includes('--expect-digest'));
    expect(check?.env?.REVIEWED_DIGEST).toBe('${{ needs.plan.outputs.digest }}');
    const runs = stepsOf(jobs.apply!).map((s) => s.run ?? '');
    const checkAt = runs.findIndex((r) => r.includes('--expect-digest'));
    const applyAt = runs.findIndex((r) => r.includes('terraform apply'));
    expect(checkAt).toBeGreaterThan(-1);
    expect(applyAt).toBeGreaterThan(checkAt);
    expect(stepsOf(jobs.smoke!).some((s) => s.run?.includes('cli.js smoke'))).toBe(true);
  });

  it("runs exactly the README's test command", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- quickstart[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
    const testCommand = block![1]!.trim().split('\n').at(-1)!.trim();
    expect(testCommand).toBe('npm test');
    for (const file of ['ci.yml', 'deploy.yml']) {
      const testSteps = jobsOf(byFile(file)).flatMap(([, job]) =>
        stepsOf(job).filter((s) => s.name === 'Test'),
      );
      expect(testSteps.length).toBeGreaterThan(0);
      expect([file, [...new Set(testSteps.map((s) => s.run))]]).toEqual([file, [testCommand]]);
    }
  });

  // .nvmrc is the runtime the function app runs in Azure (Flex Consumption, Node 22); every job that
  // builds, deploys or replays uses it. package.json's engines floor (Node 20, what this repository's
  // own machines have) is tested by exactly one CI job, so the code keeps building on both.
  it('takes the Node version from .nvmrc (22, the deployed runtime), tests the engines floor once, caches npm and installs from the lockfile', () => {
    expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()).toBe('22');
    const floor = /^>=(\d+)$/.exec(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
        .node,
    )![1]!;
    const setupsOf = (job: Job) => stepsOf(job).filter((s) => s.uses?.startsWith('actions/setup-node@'));
    const setups = allJobs.flatMap(({ job }) => setupsOf(job));
    expect(setups.length).toBeGreaterThan(0);
    const floorJobs = allJobs.filter(({ job }) =>
      setupsOf(job).some((s) => s.with?.['node-version'] !== undefined),
    );
    expect(floorJobs.map(({ file, id }) => `${file} ${id}`)).toEqual(['ci.yml node-floor']);
    expect(setupsOf(floorJobs[0]!.job)[0]!.with).toEqual({ 'node-version': floor, cache: 'npm' });
    expect(stepsOf(floorJobs[0]!.job).some((s) => s.run === 'npm test')).toBe(true);
    for (const { file, id, job } of allJobs.filter((j) => j !== floorJobs[0]))
      for (const s of setupsOf(job))
        expect([file, id, s.with]).toEqual([file, id, { 'node-version-file': '.nvmrc', cache: 'npm' }]);
    for (const id of ['plan', 'apply', 'smoke'])
      expect(setupsOf(byFile('deploy.yml').doc.jobs[id]!)).toHaveLength(1);
    expect(setupsOf(byFile('replay.yml').doc.jobs.replay!)).toHaveLength(1);
    const runs = allJobs.flatMap(({ job }) => stepsOf(job).map((s) => s.run ?? ''));
    expect(runs.filter((r) => /\bnpm (install|i)\b/.test(r))).toEqual([]);
    for (const { job } of allJobs.filter(({ job }) => setupsOf(job).length > 0)) {
      expect(stepsOf(job).some((s) => s.run === 'npm ci')).toBe(true);
    }
  });

  it('checks out without leaving the token in the workspace', () => {
    const checkouts = allJobs.flatMap(({ job }) =>
      stepsOf(job).filter((s) => s.uses?.startsWith('actions/checkout@')),
    );
    expect(checkouts.length).toBeGreaterThan(0);
    for (const c of checkouts) expect(c.with?.['persist-credentials']).toBe(false);
  });

  it('never expands secrets, inputs or event data inside a script (they go through env)', () => {
    const offenders = allJobs.flatMap(({ file, id, job }) =>
      stepsOf(job)
        .filter((s) => s.run && /\$\{\{\s*(secrets|inputs|github\.event|steps|needs|vars)\b/.test(s.run))
        .map((s) => `${file} ${id}: ${s.name ?? s.run}`),
    );
    expect(offenders).toEqual([]);
  });

  it('masks every secret it reads before anything else can print it', () => {
    for (const { file, id, job } of allJobs) {
      for (const s of stepsOf(job)) {
        const lines = (s.run ?? '').split('\n');
        lines.forEach((line, i) => {
          const read =
            /^\s*(\w+)="\$\((az keyvault secret show|az functionapp keys list|az account get-access-token)/.exec(
              line,
            );
          if (read)
            expect([file, id, lines[i + 1]?.trim()]).toEqual([file, id, `echo "::add-mask::\${${read[1]}}"`]);
        });
      }
    }
  });

  it('calls only commands the workflow scripts have', () => {
    // `cli.js <command>`, not `probe-cli.js --url`: the probe is a script of its own.
    const calls = allJobs.flatMap(({ job }) =>
      stepsOf(job).flatMap((s) =>
        [...(s.run ?? '').matchAll(/(?<![\w-])cli\.js ([a-z-]+)/g)].map((m) => m[1]!),
      ),
    );
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.filter((c) => !COMMANDS.includes(c))).toEqual([]);
    // Every script a step runs is one of the workflow scripts' sources (built by `npm run build`).
    const scripts = allJobs.flatMap(({ job }) =>
      stepsOf(job).flatMap((s) =>
        [...(s.run ?? '').matchAll(/node \.github\/scripts\/dist\/src\/([\w-]+)\.js/g)].map((m) => m[1]!),
      ),
    );
    expect(new Set(scripts)).toEqual(new Set(['cli', 'probe-cli']));
    for (const script of scripts)
      expect(existsSync(join(ROOT, `.github/scripts/src/${script}.ts`))).toBe(true);
  });

  it('keeps artifacts for a bounded time', () => {
    const uploads = allJobs.flatMap(({ job }) =>
      stepsOf(job).filter((s) => s.uses?.startsWith('actions/upload-artifact@')),
    );
    expect(uploads.length).toBeGreaterThan(0);
    for (const u of uploads) expect(u.with?.['retention-days']).toEqual(expect.any(Number));
  });

  it('lets forks without credentials pass CI: the plan steps wait on the readiness check', () => {
    const plan = byFile('ci.yml').doc.jobs.plan!;
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    const steps = stepsOf(plan);
    const ready = steps.findIndex((s) => s.run?.includes('cli.js azure-ready'));
    expect(ready).toBeGreaterThan(-1);
    expect(steps[ready]!.run).not.toContain('--require');
    for (const s of steps.slice(ready + 1))
      expect([s.name ?? s.uses, s.if]).toEqual([s.name ?? s.uses, "steps.azure.outputs.ready == 'true'"]);
  });

  it('asks for a typed confirmation before destroying', () => {
    const destroy = byFile('destroy.yml').doc;
    expect(Object.keys(destroy.on)).toEqual(['workflow_dispatch']);
    expect(destroy.jobs.destroy!.needs).toBe('confirm');
    const check = stepsOf(destroy.jobs.confirm!)[0]!;
    expect(check.env).toEqual({
      CONFIRM: '${{ inputs.confirm }}',
      EXPECTED: 'destroy pipeline-${{ inputs.pipeline_environment }}',
    });
    expect(check.run).toContain('exit 1');
  });

  // The names the workflows read must be the ones the cdktf app writes (read from its source, so a
  // rename there fails here before it fails a deployment).
  // The output names the workflows read are checked against the contract in workflow-outputs.test.ts.
  it('offers only the configurations the stack defines', () => {
    const configSource = readFileSync(join(ROOT, 'cdktf/src/config.ts'), 'utf8');
    const environments = /ENVIRONMENTS: Readonly<Record<([^,]+),/
      .exec(configSource)![1]!
      .split('|')
      .map((e) => e.trim().replace(/'/g, ''));
    expect(environments.length).toBeGreaterThan(0);
    for (const w of workflows) {
      const input = (w.doc.on.workflow_dispatch as { inputs?: Record<string, { options?: string[] }> } | null)
        ?.inputs?.pipeline_environment;
      if (input) expect([w.file, input.options]).toEqual([w.file, environments]);
    }
    const mainSource = readFileSync(join(ROOT, 'cdktf/src/main.ts'), 'utf8');
    expect(mainSource).toContain('const stackName = `pipeline-${name}`;');
  });
  it('passes every variable the docs list to every job that synthesizes, only to the synthesis', () => {
    const variables = documentedSettings()
      .filter((r) => r.kind.startsWith('variable'))
      .map((r) => r.name);
    expect(variables).toEqual(
      expect.arrayContaining([
        'AZURE_LOCATION',
        'APIM_SKU',
        'APIM_PUBLISHER_EMAIL',
        'ALERT_EMAILS',
        'EVENTHUB_CAPTURE',
        'NAME_TOKEN',
      ]),
    );
    const missing: string[] = [];
    let synthSteps = 0;
    for (const w of workflows)
      for (const [id, job] of jobsOf(w))
        for (const step of stepsOf(job).filter(synthesizes)) {
          synthSteps++;
          const env = effectiveEnv(w, job, step);
          for (const name of variables)
            if (!String(env[name]).includes(`vars.${name} `)) missing.push(`${w.file} ${id}: ${name}`);
        }
    expect(synthSteps).toBe(6); // ci build + plan, deploy plan + apply, destroy, replay
    expect(missing).toEqual([]);
    // A fork's configuration must not change what `npm test` asserts (the template's defaults).
    const leaks = workflows.flatMap((w) =>
      jobsOf(w).flatMap(([id, job]) =>
        stepsOf(job)
          .filter((s) => s.run === 'npm test')
          .flatMap((s) =>
            variables.filter((v) => v in effectiveEnv(w, job, s)).map((v) => `${w.file} ${id}: ${v}`),
          ),
      ),
    );
    expect(leaks).toEqual([]);
  });

  // What cdktf reads from the environment is either a documented repository variable, or an input
  // that is not one (the identity secrets arrive as ARM_*, GitHub sets GITHUB_*, the rest are local).
  it('documents every environment variable the cdktf app reads', () => {
    const NOT_REPOSITORY_VARIABLES = new Set([
      'ARM_SUBSCRIPTION_ID', // from the AZURE_SUBSCRIPTION_ID secret
      'AZURE_SUBSCRIPTION_ID',
      'GITHUB_REPOSITORY', // set by GitHub Actions; exported by hand for the bootstrap
      'GITHUB_REPOSITORY_OWNER_ID',
      'GITHUB_REPOSITORY_ID',
      'BOOTSTRAP_REPOSITORY', // bootstrap-only, local
      'GITHUB_DEPLOY_ENVIRONMENT',
      'CDKTF_OUTDIR', // where to write, local
      'INIT_CWD',
      'POLICIES_DIR',
    ]);
    const documented = new Set(documentedSettings().map((r) => r.name));
    const files = [
      'config.ts',
      'main.ts',
      'backend.ts',
      'naming.ts',
      'pipeline-stack.ts',
      'bootstrap-stack.ts',
    ];
    const read = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(ROOT, 'cdktf/src', f), 'utf8');
      for (const m of text.matchAll(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThanOrEqual(8);
    expect([...read].filter((v) => !documented.has(v) && !NOT_REPOSITORY_VARIABLES.has(v))).toEqual([]);
  });

  // Pull requests sign in as the plan identity (read-only); main and production as the deploy
  // identity. Anyone who can push a branch can edit a workflow in a pull request and get its token.
  it('signs pull-request plans in as the plan identity and everything else as the deploy identity', () => {
    const PLAN = '${{ secrets.AZURE_PLAN_CLIENT_ID || vars.AZURE_PLAN_CLIENT_ID }}';
    const DEPLOY = '${{ secrets.AZURE_CLIENT_ID || vars.AZURE_CLIENT_ID }}';
    const identities = allJobs
      .filter(({ job }) => usesOidc(job))
      .map(({ file, id, job }) => {
        const ids = new Set<unknown>();
        if (job.env?.ARM_CLIENT_ID !== undefined) ids.add(job.env.ARM_CLIENT_ID);
        for (const s of stepsOf(job)) if (s.uses?.startsWith('azure/login@')) ids.add(s.with?.['client-id']);
        return [`${file} ${id}`, [...ids]];
      });
    expect(identities).toEqual(identities.map(([name]) => [name, [name === 'ci.yml plan' ? PLAN : DEPLOY]]));
    const plan = byFile('ci.yml').doc.jobs.plan!;
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    expect(stepsOf(plan).find((s) => s.run?.includes('cli.js azure-ready'))!.run).toContain(
      '--identity plan',
    );
    const kinds = new Map(documentedSettings().map((r) => [r.name, r.kind]));
    expect([kinds.get('AZURE_PLAN_CLIENT_ID'), kinds.get('AZURE_CLIENT_ID')]).toEqual(['secret', 'secret']);
  });

  // A run that concurrency may cancel must not hold the state lock: a cancelled pull-request plan
  // would otherwise leave the blob lease behind and block the next deploy.
  it('takes the state lock only in runs that are never cancelled by a newer one', () => {
    const cancellable = workflows.filter((w) => {
      const c = w.doc.concurrency;
      return typeof c === 'object' && c['cancel-in-progress'] !== false;
    });
    expect(cancellable.map((w) => w.file)).toEqual(['ci.yml']);
    const lines = (w: LoadedWorkflow) =>
      jobsOf(w).flatMap(([, job]) =>
        stepsOf(job).flatMap((s) => (s.run ?? '').split('\n').map((l) => l.trim())),
      );
    for (const w of cancellable) {
      const terraform = lines(w).filter((l) => /^terraform (plan|apply|destroy|refresh|import)\b/.test(l));
      expect(terraform.length).toBeGreaterThan(0);
      expect(terraform.filter((l) => !/^terraform plan\b/.test(l) || !l.includes('-lock=false'))).toEqual([]);
    }
    for (const w of workflows.filter((w) => !cancellable.includes(w)))
      for (const l of lines(w).filter((l) => /^terraform (plan|apply)\b/.test(l)))
        expect([w.file, l]).toEqual([w.file, expect.stringContaining('-lock-timeout=5m')]);
  });

  it('deploys the code, then gives the app the APIM key from Key Vault, then smoke-tests', () => {
    const apply = byFile('deploy.yml').doc.jobs.apply!;
    const steps = stepsOf(apply);
    const at = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const applied = at((s) => s.run?.includes('terraform apply') ?? false);
    const login = at((s) => s.uses?.startsWith('azure/login@') ?? false);
    const deployZip = at((s) => s.run?.includes('cli.js deploy-zip') ?? false);
    const key = at((s) => s.run?.includes('cli.js function-key') ?? false);
    expect([applied, login, deployZip, key].every((i) => i >= 0)).toBe(true);
    expect(applied < login && login < deployZip && deployZip < key).toBe(true);
    expect(steps[key]!.run).toContain('--key-name "${FUNCTION_KEY_NAME}"');
    expect(steps[key]!.env).toMatchObject({
      KEY_VAULT_NAME: '${{ steps.outputs.outputs.KEY_VAULT_NAME }}',
      FUNCTION_KEY_SECRET_NAME: '${{ steps.outputs.outputs.FUNCTION_KEY_SECRET_NAME }}',
      FUNCTION_KEY_NAME: '${{ steps.outputs.outputs.FUNCTION_KEY_NAME }}',
    });
    // The outputs step requires the key's names and the role wait, so a stack without them fails
    // before the deploy, not with a 401 in the smoke test.
    const outputsStep = steps.find((s) => s.id === 'outputs')!;
    for (const name of [
      'FUNCTION_KEY_SECRET_NAME',
      'FUNCTION_KEY_NAME',
      'FUNCTION_ROLES_READY',
      'KEY_VAULT_NAME',
    ])
      expect(outputsStep.run).toMatch(new RegExp(`--require [A-Z_,]*\\b${name}\\b`));
    // config-zip only through the tested CLI, which retries with a bounded backoff.
    const rawZip = allJobs.flatMap(({ file, id, job }) =>
      stepsOf(job)
        .filter((s) => /az functionapp deployment source config-zip/.test(s.run ?? ''))
        .map(() => `${file} ${id}`),
    );
    expect(rawZip).toEqual([]);
    expect(byFile('deploy.yml').doc.jobs.smoke!.needs).toBe('apply');
  });
  // docs/deploying.md walks a fork to a smoke-tested deployment with no step to repeat.
  it('documents preflight as step 2, the offline/Azure split, and never advises re-running a job', () => {
    const docs = readFileSync(join(ROOT, 'docs/deploying.md'), 'utf8');
    const steps = [...docs.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(steps[1]).toMatch(/^2\. Preflight/);
    const step2 = docs.slice(docs.indexOf('## 2. Preflight'), docs.indexOf('## 3.'));
    expect(step2).toContain('npm run preflight');
    expect(docs).toMatch(/^## What is proven offline, what only Azure proves$/m);
    expect(docs).not.toMatch(
      /re-?run (the|all|this|that)?\s*(\*\*)?(failed |smoke |deploy )?(jobs?|workflow|run)\b/i,
    );
    expect(docs).toContain('AADSTS700213');
    expect(docs).toMatch(/repo:<owner>@<ownerId>\/<repo>@<repoId>/);
    expect(docs).toContain('GITHUB_REPOSITORY_OWNER_ID');
  });
  // Before the first apply the state blob does not exist and the read-only plan identity cannot
  // create it: the pull-request plan then synthesizes with local state (everything is new).
  it('plans the first pull request, before any apply, against an empty state', () => {
    const plan = byFile('ci.yml').doc.jobs.plan!;
    const steps = stepsOf(plan);
    const state = steps.findIndex((s) => s.run?.includes('cli.js state-exists'));
    const login = steps.findIndex((s) => s.uses?.startsWith('azure/login@'));
    const synth = steps.findIndex(synthesizes);
    expect(login).toBeGreaterThan(-1);
    expect(login < state && state < synth).toBe(true);
    expect(steps[state]!.id).toBe('state');
    expect(steps[state]!.run).toContain('--key "pipeline-${PIPELINE_ENVIRONMENT}.tfstate"');
    // ...the key cdktf gives the stack's state: `${stackName}.tfstate`, stackName `pipeline-<env>`.
    expect(readFileSync(join(ROOT, 'cdktf/src/backend.ts'), 'utf8')).toContain('key: `${stateKey}.tfstate`');
    expect(readFileSync(join(ROOT, 'cdktf/src/pipeline-stack.ts'), 'utf8')).toContain(
      'useRemoteState(this, id,',
    );
    expect(steps[synth]!.env?.TF_STATE_STORAGE_ACCOUNT).toBe(
      "${{ steps.state.outputs.exists == 'true' && vars.TF_STATE_STORAGE_ACCOUNT || '' }}",
    );
    // A job in the production environment would present the subject the deploy identity trusts.
    expect(plan.environment).toBeUndefined();
  });

  // Issue 20: after the smoke test the deploy compares Azure's answers with the twin's. The probe needs
  // the same credentials as the smoke test, read again in its own step (a step's shell variables do
  // not outlive it), masked before use; its report is kept whatever happened.
  it('runs the fidelity probe after the smoke test, with masked credentials, and keeps its report', () => {
    const smoke = byFile('deploy.yml').doc.jobs.smoke!;
    const steps = stepsOf(smoke);
    const smokeAt = steps.findIndex((s) => s.run?.includes('cli.js smoke') ?? false);
    const probeAt = steps.findIndex((s) => s.run?.includes('probe-cli.js') ?? false);
    const loginAt = steps.findIndex((s) => s.uses?.startsWith('azure/login@') ?? false);
    expect(smokeAt).toBeGreaterThan(loginAt);
    expect(probeAt).toBeGreaterThan(smokeAt);
    const probe = steps[probeAt]!;
    // It runs when the smoke test passed or failed (its diff often explains the failure), never
    // when the smoke test did not run (the sign-in failed).
    expect(steps[smokeAt]!.id).toBe('smoke');
    expect(probe.if).toBe("success() || steps.smoke.conclusion == 'failure'");
    expect(probe['timeout-minutes']).toEqual(expect.any(Number));
    expect(probe.env).toEqual({
      API_BASE_URL: '${{ needs.apply.outputs.api_base_url }}',
      KEY_VAULT_NAME: '${{ needs.apply.outputs.key_vault_name }}',
      SUBSCRIPTION_KEY_SECRET: '${{ needs.apply.outputs.subscription_key_secret }}',
      BASIC_AUTH_SECRET: '${{ needs.apply.outputs.basic_auth_secret }}',
    });

    // Both secrets are read from Key Vault and every form of them masked before the probe runs.
    const lines = probe.run!.split('\n').map((l) => l.trim());
    const lineOf = (text: string) => lines.findIndex((l) => l.includes(text));
    const run = lineOf('node .github/scripts/dist/src/probe-cli.js');
    const masks = [
      'echo "::add-mask::${API_SUBSCRIPTION_KEY}"',
      'echo "::add-mask::${API_BASIC_CREDENTIAL}"',
      'echo "::add-mask::${API_BASIC_CREDENTIAL#*:}"',
    ].map(lineOf);
    expect(lineOf('--name "${SUBSCRIPTION_KEY_SECRET}"')).toBeGreaterThan(-1);
    expect(lineOf('--name "${BASIC_AUTH_SECRET}"')).toBeGreaterThan(-1);
    expect(masks.every((at) => at > -1 && at < run)).toBe(true);
    expect(lineOf('export API_SUBSCRIPTION_KEY API_BASIC_CREDENTIAL')).toBeLessThan(run);
    const command = lines.slice(run).join(' ');
    expect(command).toContain('--url "${API_BASE_URL}"');
    expect(command).toContain('--report-file "${RUNNER_TEMP}/probe-report.json"');
    // No secret on the command line: the probe reads the credentials from its environment.
    expect(command).not.toMatch(/API_SUBSCRIPTION_KEY|API_BASIC_CREDENTIAL/);
    // The options used are ones the probe has (its usage text lists them).
    for (const option of command.matchAll(/\s(--[a-z-]+)/g)) expect(PROBE_USAGE).toContain(`${option[1]} <`);

    // The report is uploaded even when the probe (or the smoke test) failed; the readable diff is in
    // the job summary, which probe-cli appends to $GITHUB_STEP_SUMMARY itself.
    const upload = steps.findIndex(
      (s, i) =>
        i > probeAt &&
        (s.uses?.startsWith('actions/upload-artifact@') ?? false) &&
        s.with?.path === '${{ runner.temp }}/probe-report.json',
    );
    expect(upload).toBeGreaterThan(probeAt);
    expect(steps[upload]!.if).toBe('always()');
    expect(steps[upload]!.with).toMatchObject({ name: 'probe-report', 'if-no-files-found': 'ignore' });
    expect(readFileSync(join(ROOT, '.github/scripts/src/probe-cli.ts'), 'utf8')).toMatch(
      /appendFile\(io\.env\.GITHUB_STEP_SUMMARY, summary\)/,
    );
  });

  // Issue 18: the replay workflow downloads and prepares the real datasets from Kaggle, through the
  // prepared-dataset cache in the pipeline's storage account.
  it('replays the Kaggle datasets: inputs as the scripts parse them, the Kaggle key only where it is used, the cache read as the workflow identity', () => {
    const replay = byFile('replay.yml').doc;
    const inputs = (
      replay.on.workflow_dispatch as { inputs: Record<string, { options?: string[]; default?: unknown }> }
    ).inputs;
    expect(inputs.source!.options).toEqual([...DATASET_SOURCES]);
    expect(inputs.dataset_cache).toMatchObject({ options: [...CACHE_MODES], default: 'use' });
    const steps = stepsOf(replay.jobs.replay!);
    const at = (text: string) => steps.findIndex((s) => s.run?.includes(text) ?? false);
    const check = steps[at('cli.js replay-inputs')]!;
    const datasetAt = at('cli.js dataset');
    const dataset = steps[datasetAt]!;
    // The inputs check learns only whether both secrets exist, so a missing one fails before any work.
    expect(check.env).toMatchObject({
      DATASET_CACHE: '${{ inputs.dataset_cache }}',
      KAGGLE_CREDENTIALS: "${{ secrets.KAGGLE_USERNAME != '' && secrets.KAGGLE_KEY != '' }}",
    });
    expect(dataset.env).toMatchObject({
      SOURCE: '${{ inputs.source }}',
      DATASET_CACHE: '${{ inputs.dataset_cache }}',
      STORAGE_ACCOUNT: '${{ steps.outputs.outputs.STORAGE_ACCOUNT }}',
      KAGGLE_USERNAME: '${{ secrets.KAGGLE_USERNAME }}',
      KAGGLE_KEY: '${{ secrets.KAGGLE_KEY }}',
    });
    const holders = steps.filter((s) =>
      Object.values({ ...(replay.env ?? {}), ...(replay.jobs.replay!.env ?? {}), ...(s.env ?? {}) }).some(
        (v) => String(v).includes('${{ secrets.KAGGLE_KEY }}'),
      ),
    );
    expect(holders).toEqual([dataset]);
    // The storage token comes from the signed-in workflow identity, after the sign-in and the outputs.
    const login = steps.findIndex((s) => s.uses?.startsWith('azure/login@') ?? false);
    const outputs = steps.findIndex((s) => s.id === 'outputs');
    expect(login).toBeGreaterThan(outputs);
    expect(datasetAt).toBeGreaterThan(login);
    expect(dataset.run).toContain('export DATASET_CACHE_ACCOUNT="${STORAGE_ACCOUNT}"');
    expect(dataset.run).toMatch(
      /AZURE_STORAGE_TOKEN="\$\(az account get-access-token --resource https:\/\/storage\.azure\.com\//,
    );
    // ...under the names the dataset command reads.
    const cli = readFileSync(join(ROOT, '.github/scripts/src/cli.ts'), 'utf8');
    for (const name of ['KAGGLE_USERNAME', 'KAGGLE_KEY', 'DATASET_CACHE_ACCOUNT', 'AZURE_STORAGE_TOKEN'])
      expect([name, cli.includes(`env.${name}`)]).toEqual([name, true]);
    // The container is the one the pipeline stack creates and lets the deploy identity use: both take
    // it from the contract.
    expect(DATASETS_CONTAINER).toBe(PIPELINE_NAMES.containers.datasets);
    expect(readFileSync(join(ROOT, 'cdktf/src/pipeline-stack.ts'), 'utf8')).toContain(
      'containerScope(PIPELINE_NAMES.containers.datasets)',
    );
    // Both secrets are documented with the other settings, and the walkthrough has its section.
    expect(documentedSettings()).toEqual(
      expect.arrayContaining([
        { name: 'KAGGLE_USERNAME', kind: 'secret, optional' },
        { name: 'KAGGLE_KEY', kind: 'secret, optional' },
      ]),
    );
    expect(readFileSync(join(ROOT, 'docs/deploying.md'), 'utf8')).toMatch(/^### Replay the real dataset$/m);
  });
});
