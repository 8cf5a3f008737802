import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli';
import { actionReferences, type Job, type LoadedWorkflow, loadWorkflows, type Step } from '../src/workflows';

const ROOT = join(__dirname, '../../..');
const workflows = loadWorkflows(join(ROOT, '.github/workflows'));
const byFile = (file: string): LoadedWorkflow => workflows.find((w) => w.file === file)!;
const jobsOf = (w: LoadedWorkflow) => Object.entries(w.doc.jobs);
const allJobs = workflows.flatMap((w) => jobsOf(w).map(([id, job]) => ({ file: w.file, id, job })));
const stepsOf = (job: Job): readonly Step[] => job.steps ?? [];

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

  it('runs every job on a pinned runner image', () => {
    expect(
      allJobs.filter(({ job }) => job['runs-on'] !== 'ubuntu-24.04').map(({ file, id }) => `${file} ${id}`),
    ).toEqual([]);
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
      expect([file, testSteps.map((s) => s.run)]).toEqual([file, [testCommand]]);
    }
  });

  it('takes the Node version from .nvmrc, caches npm and installs from the lockfile', () => {
    const setups = allJobs.flatMap(({ job }) =>
      stepsOf(job).filter((s) => s.uses?.startsWith('actions/setup-node@')),
    );
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(s.with).toEqual({ 'node-version-file': '.nvmrc', cache: 'npm' });
    const runs = allJobs.flatMap(({ job }) => stepsOf(job).map((s) => s.run ?? ''));
    expect(runs.filter((r) => /\bnpm (install|i)\b/.test(r))).toEqual([]);
    for (const { job } of allJobs.filter(({ job }) => setups.some((s) => stepsOf(job).includes(s)))) {
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
    const calls = allJobs.flatMap(({ job }) =>
      stepsOf(job).flatMap((s) => [...(s.run ?? '').matchAll(/cli\.js ([a-z-]+)/g)].map((m) => m[1]!)),
    );
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.filter((c) => !COMMANDS.includes(c))).toEqual([]);
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
  it('reads only outputs the pipeline stack declares, for configurations it defines', () => {
    const stackSource = readFileSync(join(ROOT, 'cdktf/src/pipeline-stack.ts'), 'utf8');
    const block = /const outputs: Record<string, string> = \{([\s\S]*?)\n {4}\};/.exec(stackSource);
    expect(block).not.toBeNull();
    const declared = [...block![1]!.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    const required = allJobs.flatMap(({ job }) =>
      stepsOf(job).flatMap((s) =>
        [...(s.run ?? '').matchAll(/--require ([A-Z0-9_,]+)/g)].flatMap((m) => m[1]!.split(',')),
      ),
    );
    expect(required.length).toBeGreaterThan(5);
    expect(required.filter((name) => !declared.includes(name))).toEqual([]);

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
});
