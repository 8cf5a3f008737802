import { Testing } from 'cdktf';
import type {} from 'cdktf/lib/testing/adapters/jest';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { APIM_NAMES, PIPELINE_OUTPUT_NAMES } from '@pipeline/schemas';
import { INDEXED_PATHS } from '../src/constructs/cosmos';
import { ENVIRONMENTS } from '../src/config';
import { COSMOS_DATA_CONTRIBUTOR_ROLE } from '../src/pipeline-stack';
import { SECRET_PATTERNS } from '../src/security-rules';
import { ref, resource, resources, synthPipeline } from './helpers';

Testing.setupJest();

// One synthesis shared by every test in this file (synthesis is the slow part).
const { json, tf } = synthPipeline();
const dev = ENVIRONMENTS.dev;

describe('resource group, naming and tags', () => {
  test('names come from the abbreviation and a stable token, within service limits', () => {
    const storage = Object.values(resources(tf, 'azurerm_storage_account')).map((a) => String(a.name));
    expect(storage).toHaveLength(2);
    for (const name of storage) expect(name).toMatch(/^st(fn)?[a-z0-9]{13}$/);
    expect(String(resource(tf, 'azurerm_key_vault').name)).toMatch(/^kv-[a-z0-9]{13}$/);
    expect(String(resource(tf, 'azurerm_key_vault').name).length).toBeLessThanOrEqual(24);
    // The bootstrap creates the group (so the GitHub identities can be scoped to it); the stack reads it.
    expect(resources(tf, 'azurerm_resource_group')).toEqual({});
    expect(tf.data?.azurerm_resource_group?.['resource-group']).toEqual({ name: 'rg-harvey-dev' });
  });

  test('every resource is in the configured region', () => {
    for (const type of ['azurerm_storage_account', 'azurerm_cosmosdb_account', 'azurerm_api_management']) {
      for (const attrs of Object.values(resources(tf, type))) expect(attrs.location).toBe(dev.location);
    }
  });
});

describe('storage', () => {
  const data = resource(tf, 'azurerm_storage_account', 'data-storage/account');
  const host = resource(tf, 'azurerm_storage_account', 'host-storage/account');

  test('shared keys off, TLS 1.2, HTTPS only, no public access, versioning and soft delete', () => {
    for (const account of [data, host]) {
      expect(account).toMatchObject({
        shared_access_key_enabled: false,
        default_to_oauth_authentication: true,
        min_tls_version: 'TLS1_2',
        https_traffic_only_enabled: true,
        allow_nested_items_to_be_public: false,
        blob_properties: {
          versioning_enabled: true,
          delete_retention_policy: { days: expect.any(Number) as number },
        },
      });
    }
  });

  test('the data account holds the pipeline containers; the host account holds the deployment package', () => {
    const containers = Object.values(resources(tf, 'azurerm_storage_container'));
    const byAccount = (account: string) =>
      containers
        .filter((c) => c.storage_account_id === ref(tf, 'azurerm_storage_account', account))
        .map((c) => c.name)
        .sort();
    expect(byAccount('data-storage/account')).toEqual([
      'capture',
      'datasets',
      'dead-letters',
      'images',
      'raw-events',
    ]);
    expect(byAccount('host-storage/account')).toEqual(['deployments']);
    for (const c of containers) expect(c.container_access_type).toBe('private');
  });

  test('raw events move to cool and then archive', () => {
    const policy = resource(tf, 'azurerm_storage_management_policy', 'data-storage/lifecycle');
    const rules = policy.rule as {
      filters: { prefix_match?: string[] };
      actions: { base_blob?: Record<string, number> };
    }[];
    const raw = rules.find((r) => r.filters.prefix_match?.includes('raw-events/'));
    expect(raw?.actions.base_blob).toEqual({
      tier_to_cool_after_days_since_modification_greater_than: dev.storage.rawToCoolAfterDays,
      tier_to_archive_after_days_since_modification_greater_than: dev.storage.rawToArchiveAfterDays,
    });
  });
});

describe('event hubs', () => {
  const namespace = resource(tf, 'azurerm_eventhub_namespace');
  const hub = resource(tf, 'azurerm_eventhub');

  test('Standard namespace with local auth disabled, TLS 1.2 and a managed identity', () => {
    expect(namespace).toMatchObject({
      sku: 'Standard',
      capacity: 1,
      local_authentication_enabled: false,
      minimum_tls_version: '1.2',
      identity: { type: 'SystemAssigned' },
    });
  });

  test('hub tweets with the configured partitions and retention, consumer group cosmos-writer', () => {
    expect(hub).toMatchObject({ name: 'tweets', partition_count: 2, message_retention: 1 });
    expect(resource(tf, 'azurerm_eventhub_consumer_group')).toMatchObject({ name: 'cosmos-writer' });
  });

  test('Capture writes Avro to the capture container with the namespace identity, after its role exists', () => {
    const capture = resource(tf, 'azapi_update_resource', 'event-hubs/capture');
    expect(capture.resource_id).toBe(ref(tf, 'azurerm_eventhub', 'event-hubs/hub'));
    expect(capture.body).toMatchObject({
      properties: {
        captureDescription: {
          enabled: true,
          encoding: 'Avro',
          destination: {
            identity: { type: 'SystemAssigned' },
            properties: {
              blobContainer: 'capture',
              storageAccountResourceId: ref(tf, 'azurerm_storage_account', 'data-storage/account'),
            },
          },
        },
      },
    });
    const writer = resource(tf, 'azurerm_role_assignment', 'event-hubs/capture-writer');
    expect(writer).toMatchObject({
      role_definition_name: 'Storage Blob Data Contributor',
      principal_id: ref(tf, 'azurerm_eventhub_namespace', 'event-hubs/namespace', 'identity[0].principal_id'),
      scope: `${ref(tf, 'azurerm_storage_account', 'data-storage/account')}/blobServices/default/containers/capture`,
    });
    // Capture starts writing at once: it waits for the role to propagate, not just to exist.
    expect(capture.depends_on).toEqual([
      expect.stringMatching(/^time_sleep\.event-hubs_wait-capture-writer/),
    ]);
    expect(resource(tf, 'time_sleep', 'event-hubs/wait-capture-writer')).toMatchObject({
      create_duration: '300s',
      depends_on: [expect.stringMatching(/^azurerm_role_assignment\.event-hubs_capture-writer/)],
    });
    expect(tf.terraform?.required_providers).toMatchObject({ azapi: { source: 'azure/azapi' } });
  });
});

describe('cosmos db', () => {
  const account = resource(tf, 'azurerm_cosmosdb_account');

  test('key auth disabled, serverless in dev, continuous backup, TLS 1.2', () => {
    expect(account).toMatchObject({
      local_authentication_disabled: true,
      access_key_metadata_writes_enabled: false,
      minimal_tls_version: 'Tls12',
      capabilities: [{ name: 'EnableServerless' }],
      backup: { type: 'Continuous', tier: 'Continuous7Days' },
    });
  });

  test('database harvey, container events partitioned by /id, indexing only the queried paths, TTL', () => {
    expect(resource(tf, 'azurerm_cosmosdb_sql_database')).toMatchObject({ name: 'harvey' });
    const container = resource(tf, 'azurerm_cosmosdb_sql_container');
    expect(container).toMatchObject({
      name: 'events',
      partition_key_paths: ['/id'],
      default_ttl: dev.cosmos.defaultTtlSeconds,
      indexing_policy: {
        excluded_path: [{ path: '/*' }],
        included_path: INDEXED_PATHS.map((path) => ({ path })),
      },
    });
    expect(container.autoscale_settings).toBeUndefined();
  });

  test('the function writes through the built-in Data Contributor role scoped to the database', () => {
    expect(resource(tf, 'azurerm_cosmosdb_sql_role_assignment')).toMatchObject({
      role_definition_id: `${ref(tf, 'azurerm_cosmosdb_account', 'cosmos/account')}/sqlRoleDefinitions/${COSMOS_DATA_CONTRIBUTOR_ROLE}`,
      principal_id: ref(
        tf,
        'azurerm_function_app_flex_consumption',
        'function-app/site',
        'identity[0].principal_id',
      ),
      scope: `${ref(tf, 'azurerm_cosmosdb_account', 'cosmos/account')}/dbs/${ref(tf, 'azurerm_cosmosdb_sql_database', 'cosmos/database', 'name')}`,
    });
  });
});

describe('function app', () => {
  const app = resource(tf, 'azurerm_function_app_flex_consumption');
  const settings = app.app_settings as Record<string, string>;

  test('Flex Consumption on Node 22 with a system identity, HTTPS only, TLS 1.2, identity-based deployment storage', () => {
    expect(app).toMatchObject({
      runtime_name: 'node',
      runtime_version: '22',
      https_only: true,
      identity: { type: 'SystemAssigned' },
      storage_authentication_type: 'SystemAssignedIdentity',
      storage_container_type: 'blobContainer',
      webdeploy_publish_basic_authentication_enabled: false,
      maximum_instance_count: dev.functions.maximumInstanceCount,
      site_config: { minimum_tls_version: '1.2', scm_minimum_tls_version: '1.2' },
    });
    expect(resource(tf, 'azurerm_service_plan')).toMatchObject({ sku_name: 'FC1', os_type: 'Linux' });
  });

  test('app settings are the agreed identity-based names and plain values, and nothing looks like a key', () => {
    expect(Object.keys(settings).sort()).toEqual(
      [
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__credential',
        'COSMOS_CONTAINER',
        'COSMOS_DATABASE',
        'CosmosDb__accountEndpoint',
        'DEADLETTER_CONTAINER',
        'EVENTHUB_CONSUMER_GROUP',
        'EVENTHUB_NAME',
        'EventHub__fullyQualifiedNamespace',
        'IMAGES_CONTAINER',
        'PipelineStorage__blobServiceUri',
        'RAW_CONTAINER',
      ].sort(),
    );
    expect(settings).toMatchObject({
      AzureWebJobsStorage__accountName: ref(tf, 'azurerm_storage_account', 'host-storage/account', 'name'),
      AzureWebJobsStorage__credential: 'managedidentity',
      EVENTHUB_NAME: 'tweets',
      EVENTHUB_CONSUMER_GROUP: 'cosmos-writer',
      COSMOS_DATABASE: 'harvey',
      COSMOS_CONTAINER: 'events',
      RAW_CONTAINER: 'raw-events',
      IMAGES_CONTAINER: 'images',
      DEADLETTER_CONTAINER: 'dead-letters',
      CosmosDb__accountEndpoint: ref(tf, 'azurerm_cosmosdb_account', 'cosmos/account', 'endpoint'),
      PipelineStorage__blobServiceUri: ref(
        tf,
        'azurerm_storage_account',
        'data-storage/account',
        'primary_blob_endpoint',
      ),
    });
    expect(settings.EventHub__fullyQualifiedNamespace).toMatch(/\.servicebus\.windows\.net$/);
    for (const value of Object.values(settings))
      for (const p of SECRET_PATTERNS) expect(value).not.toMatch(p);
    expect((app.site_config as Record<string, unknown>).application_insights_connection_string).toBe(
      ref(tf, 'azurerm_application_insights', 'monitoring/app-insights', 'connection_string'),
    );
  });

  test('role assignments: hub sender and receiver, blob contributor per data container, blob owner on host storage', () => {
    const principal = ref(
      tf,
      'azurerm_function_app_flex_consumption',
      'function-app/site',
      'identity[0].principal_id',
    );
    const mine = Object.values(resources(tf, 'azurerm_role_assignment'))
      .filter((a) => a.principal_id === principal)
      .map((a) => [a.role_definition_name, a.scope]);
    const hub = ref(tf, 'azurerm_eventhub', 'event-hubs/hub');
    const data = ref(tf, 'azurerm_storage_account', 'data-storage/account');
    expect(mine).toEqual(
      expect.arrayContaining([
        ['Azure Event Hubs Data Sender', hub],
        ['Azure Event Hubs Data Receiver', hub],
        ['Storage Blob Data Contributor', `${data}/blobServices/default/containers/raw-events`],
        ['Storage Blob Data Contributor', `${data}/blobServices/default/containers/images`],
        ['Storage Blob Data Contributor', `${data}/blobServices/default/containers/dead-letters`],
        ['Storage Blob Data Owner', ref(tf, 'azurerm_storage_account', 'host-storage/account')],
      ]),
    );
    expect(mine).toHaveLength(6);
  });
});

describe("the replay workflow's dataset cache", () => {
  test('the deploy identity (the one applying) may read and write the datasets container, and nothing else of the data account', () => {
    const deployer = '${data.azurerm_client_config.client.object_id}';
    const data = ref(tf, 'azurerm_storage_account', 'data-storage/account');
    const roles = Object.values(resources(tf, 'azurerm_role_assignment')).filter(
      (a) => a.principal_id === deployer,
    );
    expect(roles.map((a) => [a.role_definition_name, a.scope, a.principal_type])).toEqual(
      expect.arrayContaining([
        [
          'Storage Blob Data Contributor',
          `${data}/blobServices/default/containers/datasets`,
          'ServicePrincipal',
        ],
      ]),
    );
    expect(roles.filter((a) => String(a.scope).startsWith(data))).toHaveLength(1);
    expect(tf.output?.DATASETS_CONTAINER?.value).toBe('datasets');
  });
});

describe('key vault and secrets', () => {
  test('RBAC authorization, purge protection, soft delete', () => {
    expect(resource(tf, 'azurerm_key_vault')).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: dev.keyVault.softDeleteRetentionDays,
    });
  });

  test('the basic-auth credential is generated; the header is derived from it; nothing is literal', () => {
    const header = resource(tf, 'azurerm_key_vault_secret', 'secret-basic-auth-header');
    expect(header.name).toBe('basic-auth-header');
    expect(header.value).toMatch(
      /^Basic \$\{base64encode\("producer:\$\{random_password\.basic-auth-password\.result\}"\)\}$/,
    );
    expect(resource(tf, 'random_password', 'basic-auth-password')).toMatchObject({ length: 32 });
    const names = Object.values(resources(tf, 'azurerm_key_vault_secret'))
      .map((s) => s.name)
      .sort();
    expect(names).toEqual([
      'apim-subscription-key',
      'basic-auth-credential',
      'basic-auth-header',
      'ingest-function-key',
    ]);
    for (const secret of Object.values(resources(tf, 'azurerm_key_vault_secret'))) {
      expect(secret.value).toContain('${');
      expect(secret.depends_on).toEqual([
        expect.stringMatching(/^time_sleep\.wait-deployer-secrets-officer/),
      ]);
    }
  });
});

describe('api management', () => {
  const service = resource(tf, 'azurerm_api_management');

  test('Consumption by default, with a system identity', () => {
    expect(service).toMatchObject({ sku_name: 'Consumption_0', identity: { type: 'SystemAssigned' } });
  });

  test('API ingest at /ingest with POST /events, subscription required over HTTPS', () => {
    expect(resource(tf, 'azurerm_api_management_api')).toMatchObject({
      name: 'ingest',
      path: 'ingest',
      protocols: ['https'],
      subscription_required: true,
      subscription_key_parameter_names: { header: 'Ocp-Apim-Subscription-Key' },
    });
    expect(resource(tf, 'azurerm_api_management_api_operation')).toMatchObject({
      operation_id: 'post-events',
      method: 'POST',
      url_template: APIM_NAMES.operationUrlTemplate,
    });
  });

  test('named values: the two secrets come from Key Vault, read with the gateway identity at secret scope', () => {
    const values = Object.values(resources(tf, 'azurerm_api_management_named_value'));
    const byName: Record<string, unknown> = Object.fromEntries(values.map((v) => [String(v.name), v]));
    expect(Object.keys(byName).sort()).toEqual([
      'basic-auth-header',
      'dashboard-origin',
      'ingest-function-key',
    ]);
    expect(byName['basic-auth-header']).toMatchObject({
      secret: true,
      value_from_key_vault: {
        secret_id: ref(tf, 'azurerm_key_vault_secret', 'secret-basic-auth-header', 'versionless_id'),
      },
    });
    expect(byName['ingest-function-key']).toMatchObject({
      secret: true,
      value_from_key_vault: {
        secret_id: ref(tf, 'azurerm_key_vault_secret', 'secret-function-key', 'versionless_id'),
      },
    });
    expect(byName['dashboard-origin']).toMatchObject({ secret: false });
    const apimPrincipal = ref(
      tf,
      'azurerm_api_management',
      'api-management/service',
      'identity[0].principal_id',
    );
    const readers = Object.values(resources(tf, 'azurerm_role_assignment')).filter(
      (a) => a.principal_id === apimPrincipal,
    );
    expect(readers.map((a) => [a.role_definition_name, a.scope]).sort()).toEqual(
      [
        [
          'Key Vault Secrets User',
          ref(tf, 'azurerm_key_vault_secret', 'secret-basic-auth-header', 'resource_versionless_id'),
        ],
        [
          'Key Vault Secrets User',
          ref(tf, 'azurerm_key_vault_secret', 'secret-function-key', 'resource_versionless_id'),
        ],
      ].sort(),
    );
  });

  test('backend ingest-function points at the function app over validated TLS (the API policy adds the key)', () => {
    const backend = resource(tf, 'azurerm_api_management_backend');
    expect(backend).toMatchObject({
      name: 'ingest-function',
      protocol: 'http',
      url: `https://${ref(tf, 'azurerm_function_app_flex_consumption', 'function-app/site', 'default_hostname')}/api`,
      tls: { validate_certificate_chain: true, validate_certificate_name: true },
    });
    expect(backend.credentials).toBeUndefined();
  });

  test('product ingest with its API, a policy and an active producer subscription without tracing', () => {
    expect(resource(tf, 'azurerm_api_management_product')).toMatchObject({
      product_id: 'ingest',
      subscription_required: true,
      published: true,
    });
    expect(resource(tf, 'azurerm_api_management_product_api')).toMatchObject({
      product_id: ref(tf, 'azurerm_api_management_product', 'api-management/product', 'product_id'),
      api_name: ref(tf, 'azurerm_api_management_api', 'api-management/api', 'name'),
    });
    expect(resource(tf, 'azurerm_api_management_subscription')).toMatchObject({
      state: 'active',
      allow_tracing: false,
    });
    expect(resource(tf, 'azurerm_key_vault_secret', 'secret-subscription-key').value).toBe(
      ref(tf, 'azurerm_api_management_subscription', 'api-management/subscription', 'primary_key'),
    );
  });

  test('policies wait for the named values, the schema and the backend they reference', () => {
    for (const type of [
      'azurerm_api_management_policy',
      'azurerm_api_management_api_policy',
      'azurerm_api_management_product_policy',
    ]) {
      const deps = resource(tf, type).depends_on as string[];
      expect(deps.filter((d) => d.startsWith('azurerm_api_management_named_value.'))).toHaveLength(3);
      expect(deps).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^azurerm_api_management_global_schema\./),
          expect.stringMatching(/^azurerm_api_management_backend\./),
        ]),
      );
    }
  });

  test('requests are logged to Application Insights without client IPs', () => {
    expect(resource(tf, 'azurerm_api_management_logger')).toMatchObject({
      resource_id: ref(tf, 'azurerm_application_insights', 'monitoring/app-insights'),
    });
    expect(resource(tf, 'azurerm_api_management_api_diagnostic')).toMatchObject({
      identifier: 'applicationinsights',
      log_client_ip: false,
    });
  });
});

describe('monitoring', () => {
  test('workspace-based Application Insights', () => {
    expect(resource(tf, 'azurerm_application_insights').workspace_id).toBe(
      ref(tf, 'azurerm_log_analytics_workspace', 'monitoring/workspace'),
    );
  });

  test('alerts on function failures, hub throttling and backlog, Cosmos 429s, APIM 5xx and latency, all notifying the action group', () => {
    const alerts = Object.values(resources(tf, 'azurerm_monitor_metric_alert'));
    const metrics = alerts
      .map((a) => (a.criteria as { metric_name: string }[]).map((c) => c.metric_name).join('+'))
      .sort();
    expect(metrics).toEqual([
      'Duration',
      'IncomingMessages+OutgoingMessages',
      'Requests',
      'ThrottledRequests',
      'TotalRequests',
      'requests/failed',
    ]);
    const cosmos = alerts.find(
      (a) => (a.criteria as { metric_name: string }[])[0]!.metric_name === 'TotalRequests',
    )!;
    expect(cosmos.criteria).toEqual([
      expect.objectContaining({ dimension: [{ name: 'StatusCode', operator: 'Include', values: ['429'] }] }),
    ]);
    for (const alert of alerts) {
      expect(alert.action).toEqual([
        { action_group_id: ref(tf, 'azurerm_monitor_action_group', 'monitoring/action-group') },
      ]);
    }
  });

  test('cdktf matchers agree: diagnostic settings send logs to the workspace', () => {
    expect(json).toHaveResourceWithProperties(MonitorDiagnosticSetting, {
      target_resource_id: ref(tf, 'azurerm_cosmosdb_account', 'cosmos/account'),
      log_analytics_workspace_id: ref(tf, 'azurerm_log_analytics_workspace', 'monitoring/workspace'),
      enabled_log: [{ category_group: 'allLogs' }],
    });
  });
});

describe('outputs and state', () => {
  test("the stack outputs exactly the contract's output names (the workflows read them by these)", () => {
    expect(Object.keys(tf.output ?? {}).sort()).toEqual([...PIPELINE_OUTPUT_NAMES].sort());
    expect(tf.output?.API_BASE_URL).toEqual({
      value: `${ref(tf, 'azurerm_api_management', 'api-management/service', 'gateway_url')}/ingest`,
    });
    expect(tf.output?.BASIC_AUTH_SECRET).toEqual({ value: 'basic-auth-credential' });
  });

  test('without remote state settings the state is local and relative', () => {
    expect(tf.terraform?.backend).toEqual({ local: { path: 'terraform.tfstate' } });
  });
});

test('Testing.synth output is valid JSON for the cdktf matchers', () => {
  expect(Testing.toHaveResource(json, 'azurerm_eventhub')).toBe(true);
});

describe('prod and overrides', () => {
  const prod = synthPipeline({
    ...ENVIRONMENTS.prod,
    eventHubs: { ...ENVIRONMENTS.prod.eventHubs, captureEnabled: false },
  }).tf;

  test('prod: provisioned autoscale container, auto-inflate, 30-day continuous backup', () => {
    expect(resource(prod, 'azurerm_cosmosdb_sql_container').autoscale_settings).toEqual({
      max_throughput: 6000,
    });
    expect(resource(prod, 'azurerm_cosmosdb_account').capabilities).toBeUndefined();
    expect(resource(prod, 'azurerm_cosmosdb_account').backup).toMatchObject({ tier: 'Continuous30Days' });
    expect(resource(prod, 'azurerm_eventhub_namespace')).toMatchObject({
      auto_inflate_enabled: true,
      maximum_throughput_units: 4,
    });
    expect(resource(prod, 'azurerm_eventhub')).toMatchObject({ partition_count: 4, message_retention: 3 });
  });

  test('Capture disabled: no capture update and no storage role for the namespace', () => {
    expect(resources(prod, 'azapi_update_resource')).toEqual({});
    const namespacePrincipal = ref(
      prod,
      'azurerm_eventhub_namespace',
      'event-hubs/namespace',
      'identity[0].principal_id',
    );
    expect(
      Object.values(resources(prod, 'azurerm_role_assignment')).filter(
        (a) => a.principal_id === namespacePrincipal,
      ),
    ).toEqual([]);
  });
});
