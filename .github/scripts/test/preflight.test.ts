import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_DEFAULTS, pipelineNames } from '../src/pipeline-names';
import { REQUIRED_PROVIDERS, roleVerdict, subscriptionRoles } from '../src/preflight';
import { fixture } from './fake-cli';

const ROOT = join(__dirname, '../../..');
const account = fixture('account-show.json') as { id: string; user: { name: string } };

describe('preflight agrees with the cdktf app', () => {
  // The cdktf sources, loaded through jest's TypeScript transform: this workspace does not depend on
  // the CDKTF app (tsc would not let it reach outside its rootDir), so the shapes used are declared here.
  interface CdktfNaming {
    Naming: new (input: Parameters<typeof pipelineNames>[0]) => {
      token: string;
      resourceGroup: string;
      name(kind: 'keyVault' | 'apiManagement' | 'functionApp'): string;
    };
  }
  interface CdktfConfig {
    ENVIRONMENTS: Record<
      'dev' | 'prod',
      {
        workload: string;
        location: string;
        apiManagement: { sku: string };
        functions: { nodeVersion: string };
      }
    >;
  }
  const cdktfNaming = jest.requireActual<CdktfNaming>(join(ROOT, 'cdktf/src/naming.ts'));
  const cdktfConfig = jest.requireActual<CdktfConfig>(join(ROOT, 'cdktf/src/config.ts'));

  it('derives the same names as cdktf/src/naming.ts', () => {
    const inputs = [
      { subscriptionId: account.id, environment: 'dev', location: 'swedencentral', workload: 'harvey' },
      {
        subscriptionId: '00000000-0000-0000-0000-000000000000',
        environment: 'prod',
        location: 'westeurope',
        workload: 'harvey',
      },
      {
        subscriptionId: account.id,
        environment: 'dev',
        location: 'swedencentral',
        workload: 'harvey',
        tokenOverride: 'mytoken42',
      },
    ];
    for (const input of inputs) {
      const theirs = new cdktfNaming.Naming(input);
      const ours = pipelineNames(input);
      expect(ours).toEqual({
        token: theirs.token,
        resourceGroup: theirs.resourceGroup,
        keyVault: theirs.name('keyVault'),
        apiManagement: theirs.name('apiManagement'),
        functionApp: theirs.name('functionApp'),
      });
    }
    expect(() => pipelineNames({ ...inputs[0]!, tokenOverride: 'BAD' })).toThrow(
      'NAME_TOKEN must be 4 to 13',
    );
  });

  // The preflight asks Azure for the .nvmrc version on Flex Consumption; the app must run that one.
  it('checks the Node version the function app runs (.nvmrc = the runtime in cdktf/src/config.ts)', () => {
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    for (const env of ['dev', 'prod'] as const)
      expect([env, cdktfConfig.ENVIRONMENTS[env].functions.nodeVersion]).toEqual([env, nvmrc]);
  });

  it('uses the same defaults as cdktf/src/config.ts', () => {
    const dev = cdktfConfig.ENVIRONMENTS.dev;
    expect(PIPELINE_DEFAULTS).toEqual({
      workload: dev.workload,
      location: dev.location,
      apimSku: dev.apiManagement.sku,
    });
  });

  // Every azurerm resource (and azapi type) the stacks create lives in a provider namespace the
  // preflight checks; a new resource kind without a namespace here fails this test.
  it('checks every resource provider the cdktf app creates resources in', () => {
    const NAMESPACE_OF: [RegExp, string | null][] = [
      [/^api-management/, 'Microsoft.ApiManagement'],
      [/^application-insights|^monitor-/, 'Microsoft.Insights'],
      [/^cosmosdb-/, 'Microsoft.DocumentDB'],
      [/^eventhub/, 'Microsoft.EventHub'],
      [/^key-vault/, 'Microsoft.KeyVault'],
      [/^log-analytics-/, 'Microsoft.OperationalInsights'],
      [/^storage-/, 'Microsoft.Storage'],
      [/^function-app|^service-plan|^data-azurerm-function-app/, 'Microsoft.Web'],
      // Resource groups, role assignments and provider config: Microsoft.Resources and
      // Microsoft.Authorization are registered in every subscription.
      [
        /^resource-group$|^role-assignment$|^role-definition$|^provider$|^data-azurerm-(client-config|subscription|resource-group)$/,
        null,
      ],
    ];
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
      }
    };
    walk(join(ROOT, 'cdktf/src'));
    const needed = new Set<string>();
    const unmapped: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/@cdktf\/provider-azurerm\/lib\/([a-z0-9-]+)/g)) {
        const hit = NAMESPACE_OF.find(([re]) => re.test(m[1]!));
        if (!hit) unmapped.push(m[1]!);
        else if (hit[1]) needed.add(hit[1]);
      }
      for (const m of text.matchAll(/type:\s*'(Microsoft\.[A-Za-z]+)\//g)) needed.add(m[1]!);
    }
    expect(unmapped).toEqual([]);
    expect(needed.size).toBeGreaterThanOrEqual(8);
    expect([...needed].filter((ns) => !REQUIRED_PROVIDERS.includes(ns))).toEqual([]);
  });

  it('checks exactly the resource providers the bootstrap registers', () => {
    const bootstrap = readFileSync(join(ROOT, 'cdktf/src/bootstrap-stack.ts'), 'utf8');
    const list = /PIPELINE_RESOURCE_PROVIDERS = \[([^\]]*)\]/.exec(bootstrap);
    expect(list).not.toBeNull();
    const registered = [...list![1]!.matchAll(/'(Microsoft\.[A-Za-z]+)'/g)].map((m) => m[1]!);
    expect(registered.length).toBeGreaterThanOrEqual(8);
    expect([...REQUIRED_PROVIDERS].sort()).toEqual([...registered].sort());
  });
});

describe('role verdicts', () => {
  const sub = account.id;
  const at = (
    roleDefinitionName: string,
    scope = `/subscriptions/${sub}`,
    condition: string | null = null,
  ) => ({
    roleDefinitionName,
    scope,
    condition,
  });
  it('needs Owner, or User Access Administrator with Contributor, at subscription scope or above, unconditioned', () => {
    const ok = (...a: ReturnType<typeof at>[]) => roleVerdict(subscriptionRoles(a, sub)).ok;
    expect(ok(at('Owner'))).toBe(true);
    expect(ok(at('Owner', '/providers/Microsoft.Management/managementGroups/contoso'))).toBe(true);
    expect(ok(at('User Access Administrator'), at('Contributor'))).toBe(true);
    expect(ok(at('User Access Administrator'))).toBe(false);
    expect(ok(at('Owner', `/subscriptions/${sub}/resourceGroups/rg-harvey-dev`))).toBe(false);
    expect(
      ok(
        at(
          'Owner',
          `/subscriptions/${sub}`,
          '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {x}',
        ),
      ),
    ).toBe(false);
  });
});

describe('npm run preflight', () => {
  it('is a root script that builds the workflow scripts and runs their preflight command', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.preflight).toBe(
      'tsc -b .github/scripts && node .github/scripts/dist/src/cli.js preflight',
    );
  });
});
