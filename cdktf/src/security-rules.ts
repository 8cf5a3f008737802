/**
 * Security rules as code: checks over the synthesized Terraform JSON of a pipeline stack. They
 * read what Terraform will actually receive, so they hold whatever construct produced a resource.
 * `npm run -w cdktf synth` fails on any violation; each rule has a test proving it catches a bad
 * fixture.
 */

import { unwaitedRoleUses } from './role-waits';

type Attrs = Record<string, unknown>;

/** The parts of a synthesized stack the rules read. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Attrs>>;
  readonly data?: Record<string, Record<string, Attrs>>;
  readonly output?: Record<string, Attrs>;
}

export interface Violation {
  readonly rule: string;
  /** `<type>.<name>` of the offending resource (or the stack for missing ones). */
  readonly resource: string;
  readonly message: string;
}

export interface SecurityRule {
  readonly id: string;
  readonly description: string;
  check(tf: TerraformJson): Violation[];
}

function resourcesOf(tf: TerraformJson, type: string): [string, Attrs][] {
  return Object.entries(tf.resource?.[type] ?? {});
}

function allResources(tf: TerraformJson): [string, string, Attrs][] {
  return Object.entries(tf.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, attrs]): [string, string, Attrs] => [type, name, attrs]),
  );
}

function get(attrs: unknown, path: string): unknown {
  let value: unknown = attrs;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const isReference = (value: unknown): boolean => typeof value === 'string' && value.includes('${');

/** A string attribute, or '' when absent or not a string. */
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A rule that every resource of `type` must satisfy `predicate`. */
function attributeRule(
  id: string,
  description: string,
  type: string,
  predicate: (attrs: Attrs) => boolean,
  message: string,
): SecurityRule {
  return {
    id,
    description,
    check: (tf) =>
      resourcesOf(tf, type)
        .filter(([, attrs]) => !predicate(attrs))
        .map(([name]) => ({ rule: id, resource: `${type}.${name}`, message })),
  };
}

/** Resource types that carry tags, and the tags each must have. */
export const TAGGED_TYPES = [
  'azurerm_resource_group',
  'azurerm_storage_account',
  'azurerm_eventhub_namespace',
  'azurerm_cosmosdb_account',
  'azurerm_key_vault',
  'azurerm_service_plan',
  'azurerm_function_app_flex_consumption',
  'azurerm_api_management',
  'azurerm_log_analytics_workspace',
  'azurerm_application_insights',
  'azurerm_monitor_action_group',
  'azurerm_monitor_metric_alert',
] as const;
export const REQUIRED_TAGS = ['environment', 'workload', 'repository'] as const;

/** Resource types that emit platform logs or metrics and so must have a diagnostic setting. */
export const DIAGNOSABLE_TYPES = [
  'azurerm_storage_account',
  'azurerm_eventhub_namespace',
  'azurerm_cosmosdb_account',
  'azurerm_key_vault',
  'azurerm_service_plan',
  'azurerm_function_app_flex_consumption',
  'azurerm_api_management',
  'azurerm_log_analytics_workspace',
  'azurerm_application_insights',
] as const;

/** Roles no workload identity in the pipeline may hold. */
export const PRIVILEGED_ROLES = [
  'Owner',
  'Contributor',
  'User Access Administrator',
  'Role Based Access Control Administrator',
  'Key Vault Administrator',
  'Storage Account Contributor',
  'Azure Event Hubs Data Owner',
] as const;

/** Data sources whose value exists only once deployed code has run. */
export const RUNTIME_DATA_SOURCES = [
  'azurerm_function_app_host_keys',
  'azurerm_storage_blob',
  'azurerm_storage_account_blob_container_sas',
] as const;

/** Values that are keys or connection strings, wherever they appear. */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /AccountKey=/i,
  /SharedAccessKey(Name)?=/i,
  /DefaultEndpointsProtocol=/i,
  /[?&]sig=[A-Za-z0-9%+/=]{16,}/,
  /InstrumentationKey=[0-9a-f-]{36}/i,
  /(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{86}==($|[^A-Za-z0-9+/=])/, // a 64-byte base64 key (storage, Cosmos)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

function literalStrings(value: unknown, at: string, out: [string, string][]): [string, string][] {
  if (typeof value === 'string') {
    out.push([at, value]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => literalStrings(v, `${at}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) literalStrings(v, at ? `${at}.${k}` : k, out);
  }
  return out;
}

/** App setting names that, by convention, hold a connection string or a key. */
const SECRET_SETTING_NAME =
  /(ConnectionString|_CONNECTION_STRING|AccountKey|SharedAccessKey|_KEY|Password|Secret)$/i;

export const SECURITY_RULES: readonly SecurityRule[] = [
  attributeRule(
    'storage-shared-key-disabled',
    'Storage accounts accept Entra ID only (no account keys, no SAS signed with them).',
    'azurerm_storage_account',
    (a) => a.shared_access_key_enabled === false,
    'shared_access_key_enabled must be false',
  ),
  attributeRule(
    'storage-no-public-blob-access',
    'No container in any account can be made anonymous.',
    'azurerm_storage_account',
    (a) => a.allow_nested_items_to_be_public === false,
    'allow_nested_items_to_be_public must be false',
  ),
  attributeRule(
    'storage-tls12',
    'Storage requires TLS 1.2.',
    'azurerm_storage_account',
    (a) => a.min_tls_version === 'TLS1_2',
    'min_tls_version must be TLS1_2',
  ),
  attributeRule(
    'storage-https-only',
    'Storage refuses plain HTTP.',
    'azurerm_storage_account',
    (a) => a.https_traffic_only_enabled === true,
    'https_traffic_only_enabled must be true',
  ),
  attributeRule(
    'storage-oauth-default',
    'The portal and tools use Entra ID by default.',
    'azurerm_storage_account',
    (a) => a.default_to_oauth_authentication === true,
    'default_to_oauth_authentication must be true',
  ),
  attributeRule(
    'storage-soft-delete-and-versioning',
    'Deleted or overwritten blobs and deleted containers can be recovered for at least 7 days.',
    'azurerm_storage_account',
    (a) =>
      get(a, 'blob_properties.versioning_enabled') === true &&
      Number(get(a, 'blob_properties.delete_retention_policy.days')) >= 7 &&
      Number(get(a, 'blob_properties.container_delete_retention_policy.days')) >= 7,
    'blob versioning and blob/container soft delete (>= 7 days) must be enabled',
  ),
  attributeRule(
    'storage-no-cross-tenant-replication',
    'Object replication cannot copy data to another tenant.',
    'azurerm_storage_account',
    (a) => a.cross_tenant_replication_enabled === false,
    'cross_tenant_replication_enabled must be false',
  ),
  attributeRule(
    'storage-container-private',
    'Every container is private.',
    'azurerm_storage_container',
    (a) => a.container_access_type === undefined || a.container_access_type === 'private',
    'container_access_type must be private',
  ),
  attributeRule(
    'eventhubs-local-auth-disabled',
    'Event Hubs accepts Entra ID only (no SAS keys).',
    'azurerm_eventhub_namespace',
    (a) => a.local_authentication_enabled === false,
    'local_authentication_enabled must be false',
  ),
  attributeRule(
    'eventhubs-tls12',
    'Event Hubs requires TLS 1.2.',
    'azurerm_eventhub_namespace',
    (a) => a.minimum_tls_version === '1.2',
    'minimum_tls_version must be 1.2',
  ),
  {
    id: 'no-sas-authorization-rules',
    description: 'No shared access policy exists on Event Hubs (it would mint keys).',
    check: (tf) =>
      ['azurerm_eventhub_authorization_rule', 'azurerm_eventhub_namespace_authorization_rule'].flatMap(
        (type) =>
          resourcesOf(tf, type).map(([name]) => ({
            rule: 'no-sas-authorization-rules',
            resource: `${type}.${name}`,
            message: 'SAS authorization rules are not allowed; use Entra ID roles',
          })),
      ),
  },
  attributeRule(
    'cosmos-local-auth-disabled',
    'Cosmos DB accepts Entra ID only (no account keys).',
    'azurerm_cosmosdb_account',
    (a) => a.local_authentication_disabled === true && a.access_key_metadata_writes_enabled === false,
    'local_authentication_disabled must be true and access_key_metadata_writes_enabled false',
  ),
  attributeRule(
    'cosmos-tls12',
    'Cosmos DB requires TLS 1.2.',
    'azurerm_cosmosdb_account',
    (a) => a.minimal_tls_version === 'Tls12',
    'minimal_tls_version must be Tls12',
  ),
  attributeRule(
    'cosmos-continuous-backup',
    'Cosmos DB keeps continuous backup (point-in-time restore).',
    'azurerm_cosmosdb_account',
    (a) => get(a, 'backup.type') === 'Continuous',
    'backup.type must be Continuous',
  ),
  attributeRule(
    'keyvault-rbac',
    'Key Vault authorizes with Azure RBAC, not access policies.',
    'azurerm_key_vault',
    (a) => a.rbac_authorization_enabled === true && a.access_policy === undefined,
    'rbac_authorization_enabled must be true and no access_policy may be set',
  ),
  attributeRule(
    'keyvault-purge-protection',
    'Key Vault has purge protection and at least 7 days of soft delete.',
    'azurerm_key_vault',
    (a) => a.purge_protection_enabled === true && Number(a.soft_delete_retention_days) >= 7,
    'purge_protection_enabled must be true with soft_delete_retention_days >= 7',
  ),
  attributeRule(
    'function-https-only',
    'The function app refuses plain HTTP and needs TLS 1.2 (site and SCM).',
    'azurerm_function_app_flex_consumption',
    (a) =>
      a.https_only === true &&
      get(a, 'site_config.minimum_tls_version') === '1.2' &&
      get(a, 'site_config.scm_minimum_tls_version') === '1.2',
    'https_only must be true and site_config minimum TLS 1.2 for site and SCM',
  ),
  attributeRule(
    'function-identity-storage',
    'The function app has a managed identity and reaches its storage with it (no storage key).',
    'azurerm_function_app_flex_consumption',
    (a) =>
      str(get(a, 'identity.type')).includes('SystemAssigned') &&
      a.storage_authentication_type !== 'StorageAccountConnectionString' &&
      a.storage_access_key === undefined,
    'identity must be SystemAssigned and storage_authentication_type identity-based',
  ),
  attributeRule(
    'function-no-basic-publishing',
    'Deployment needs Entra ID; basic-auth publishing credentials are disabled.',
    'azurerm_function_app_flex_consumption',
    (a) => a.webdeploy_publish_basic_authentication_enabled === false,
    'webdeploy_publish_basic_authentication_enabled must be false',
  ),
  {
    id: 'app-settings-identity-only',
    description: 'App settings hold no key or connection string, by name or by value.',
    check: (tf) =>
      allResources(tf).flatMap(([type, name, attrs]) => {
        const settings = attrs.app_settings as Record<string, unknown> | undefined;
        if (!settings) return [];
        const violations: Violation[] = [];
        for (const [setting, value] of Object.entries(settings)) {
          if (
            SECRET_SETTING_NAME.test(setting) ||
            (typeof value === 'string' && SECRET_PATTERNS.some((p) => p.test(value)))
          ) {
            violations.push({
              rule: 'app-settings-identity-only',
              resource: `${type}.${name}`,
              message: `app setting ${setting} looks like a key or connection string; use an identity-based setting (__fullyQualifiedNamespace, __accountEndpoint, __blobServiceUri)`,
            });
          }
        }
        if (Array.isArray(attrs.connection_string) && attrs.connection_string.length > 0) {
          violations.push({
            rule: 'app-settings-identity-only',
            resource: `${type}.${name}`,
            message: 'connection_string blocks are not allowed',
          });
        }
        return violations;
      }),
  },
  {
    id: 'no-literal-secrets',
    description: 'No literal value anywhere looks like a key, and secrets are references, never literals.',
    check: (tf) => {
      const violations: Violation[] = [];
      for (const [type, name, attrs] of allResources(tf)) {
        for (const [at, value] of literalStrings(attrs, '', [])) {
          if (!isReference(value) && SECRET_PATTERNS.some((p) => p.test(value))) {
            violations.push({
              rule: 'no-literal-secrets',
              resource: `${type}.${name}`,
              message: `${at} holds what looks like a key`,
            });
          }
        }
        if (type === 'azurerm_key_vault_secret' && !isReference(attrs.value)) {
          violations.push({
            rule: 'no-literal-secrets',
            resource: `${type}.${name}`,
            message: 'secret value must be generated or referenced, not written in code',
          });
        }
        if (
          type === 'azurerm_api_management_named_value' &&
          attrs.secret === true &&
          attrs.value_from_key_vault === undefined
        ) {
          violations.push({
            rule: 'no-literal-secrets',
            resource: `${type}.${name}`,
            message: 'secret named values must come from Key Vault',
          });
        }
        if (
          type === 'azurerm_api_management_subscription' &&
          (attrs.primary_key !== undefined || attrs.secondary_key !== undefined)
        ) {
          violations.push({
            rule: 'no-literal-secrets',
            resource: `${type}.${name}`,
            message: 'subscription keys must be generated by the service',
          });
        }
      }
      return violations;
    },
  },
  attributeRule(
    'apim-managed-identity',
    'API Management reads Key Vault with its own managed identity.',
    'azurerm_api_management',
    (a) => str(get(a, 'identity.type')).includes('SystemAssigned'),
    'identity must include SystemAssigned',
  ),
  attributeRule(
    'apim-tls12',
    'API Management refuses SSL 3.0, TLS 1.0 and TLS 1.1 from clients and to backends.',
    'azurerm_api_management',
    (a) =>
      ['frontend', 'backend'].every((side) =>
        ['ssl30', 'tls10', 'tls11'].every(
          (protocol) => get(a, `security.${side}_${protocol}_enabled`) === false,
        ),
      ),
    'security.{frontend,backend}_{ssl30,tls10,tls11}_enabled must all be false',
  ),
  attributeRule(
    'apim-api-https-and-subscription',
    'APIs are HTTPS only and require a subscription key.',
    'azurerm_api_management_api',
    (a) => JSON.stringify(a.protocols) === JSON.stringify(['https']) && a.subscription_required === true,
    "protocols must be ['https'] and subscription_required true",
  ),
  attributeRule(
    'apim-subscription-no-tracing',
    'Subscriptions cannot enable request tracing (it exposes headers and bodies).',
    'azurerm_api_management_subscription',
    (a) => a.allow_tracing === false,
    'allow_tracing must be false',
  ),
  attributeRule(
    'apim-backend-tls-validation',
    'The gateway validates the backend certificate chain and name.',
    'azurerm_api_management_backend',
    (a) =>
      str(a.url).startsWith('https://') &&
      get(a, 'tls.validate_certificate_chain') === true &&
      get(a, 'tls.validate_certificate_name') === true,
    'backend url must be https with certificate chain and name validation',
  ),
  {
    id: 'least-privilege-roles',
    description:
      'No workload identity holds a broad control-plane role; data roles are scoped below the subscription.',
    check: (tf) =>
      resourcesOf(tf, 'azurerm_role_assignment').flatMap(([name, a]) => {
        const role = str(a.role_definition_name);
        const scope = str(a.scope);
        const problems: string[] = [];
        if ((PRIVILEGED_ROLES as readonly string[]).includes(role))
          problems.push(`role ${role} is too broad`);
        if (a.role_definition_name === undefined)
          problems.push('role must be named (role_definition_name) so it can be reviewed');
        if (/^\/subscriptions\/[^/]+$/.test(scope) || scope.includes('data.azurerm_subscription'))
          problems.push('scope must be narrower than the subscription');
        return problems.map((message) => ({
          rule: 'least-privilege-roles',
          resource: `azurerm_role_assignment.${name}`,
          message,
        }));
      }),
  },
  {
    id: 'cosmos-data-role-scoped',
    description: 'Cosmos DB data-plane access is the built-in Data Contributor, scoped to a database.',
    check: (tf) =>
      resourcesOf(tf, 'azurerm_cosmosdb_sql_role_assignment')
        .filter(
          ([, a]) =>
            !str(a.role_definition_id).endsWith('/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002') ||
            !str(a.scope).includes('/dbs/'),
        )
        .map(([name]) => ({
          rule: 'cosmos-data-role-scoped',
          resource: `azurerm_cosmosdb_sql_role_assignment.${name}`,
          message: 'use the built-in Data Contributor role scoped to /dbs/<database>',
        })),
  },
  {
    id: 'every-resource-tagged',
    description: `Every taggable resource carries the ${REQUIRED_TAGS.join(', ')} tags.`,
    check: (tf) =>
      TAGGED_TYPES.flatMap((type) =>
        resourcesOf(tf, type).flatMap(([name, a]) => {
          const tags = (a.tags ?? {}) as Record<string, unknown>;
          const missing = REQUIRED_TAGS.filter((t) => typeof tags[t] !== 'string' || tags[t] === '');
          return missing.length === 0
            ? []
            : [
                {
                  rule: 'every-resource-tagged',
                  resource: `${type}.${name}`,
                  message: `missing tags: ${missing.join(', ')}`,
                },
              ];
        }),
      ),
  },
  {
    id: 'diagnostics-everywhere',
    description: 'Every resource that emits logs or metrics sends them to Log Analytics.',
    check: (tf) => {
      const targets = new Set(
        resourcesOf(tf, 'azurerm_monitor_diagnostic_setting')
          .filter(([, a]) => isReference(a.log_analytics_workspace_id))
          .map(([, a]) => str(a.target_resource_id)),
      );
      return DIAGNOSABLE_TYPES.flatMap((type) =>
        resourcesOf(tf, type)
          .filter(([name]) => !targets.has(`\${${type}.${name}.id}`))
          .map(([name]) => ({
            rule: 'diagnostics-everywhere',
            resource: `${type}.${name}`,
            message: 'no diagnostic setting sends this resource to Log Analytics',
          })),
      );
    },
  },
  {
    id: 'storage-blob-logs',
    description: 'Blob read, write and delete logs of every account go to Log Analytics.',
    check: (tf) => {
      const targets = new Set(
        resourcesOf(tf, 'azurerm_monitor_diagnostic_setting')
          .filter(([, a]) => Array.isArray(a.enabled_log) && a.enabled_log.length > 0)
          .map(([, a]) => str(a.target_resource_id)),
      );
      return resourcesOf(tf, 'azurerm_storage_account')
        .filter(([name]) => !targets.has(`\${azurerm_storage_account.${name}.id}/blobServices/default`))
        .map(([name]) => ({
          rule: 'storage-blob-logs',
          resource: `azurerm_storage_account.${name}`,
          message: 'no diagnostic setting with logs on its blob service',
        }));
    },
  },
  {
    id: 'no-apply-time-reads-of-running-code',
    description:
      'Nothing is read during apply that exists only once code runs (host keys, app-created blobs): a first apply would fail.',
    check: (tf) =>
      RUNTIME_DATA_SOURCES.flatMap((type) =>
        Object.keys(tf.data?.[type] ?? {}).map((name) => ({
          rule: 'no-apply-time-reads-of-running-code',
          resource: `data.${type}.${name}`,
          message: `data.${type} reads what exists only after the code runs; generate the value in Terraform instead`,
        })),
      ),
  },
  {
    id: 'function-host-storage-identity',
    description:
      'The Functions host reaches its storage by identity: no AzureWebJobsStorage connection string (not even an empty one), no AccountKey, and the one azurerm injects is replaced.',
    check: (tf) => {
      const violations: Violation[] = [];
      const flag = (resource: string, message: string): void =>
        void violations.push({ rule: 'function-host-storage-identity', resource, message });
      const settingsWrites = [
        ...resourcesOf(tf, 'azapi_resource_action'),
        ...resourcesOf(tf, 'azapi_update_resource'),
      ]
        .filter(
          ([, a]) =>
            str(a.type).startsWith('Microsoft.Web/sites/config@') &&
            str(a.resource_id).endsWith('/config/appsettings'),
        )
        .map(([name, a]) => ({ name, attrs: a, settings: (get(a, 'body.properties') ?? {}) as Attrs }));
      const checkSettings = (resource: string, settings: Attrs): void => {
        if ('AzureWebJobsStorage' in settings)
          flag(
            resource,
            `AzureWebJobsStorage is set (${JSON.stringify(settings.AzureWebJobsStorage)}): the host reads a plain value as a connection string; use AzureWebJobsStorage__accountName and __credential`,
          );
        for (const [name, value] of Object.entries(settings))
          if (/AccountKey/i.test(str(value))) flag(resource, `${name} holds an AccountKey`);
        if (!settings.AzureWebJobsStorage__accountName && !settings.AzureWebJobsStorage__blobServiceUri)
          flag(resource, 'AzureWebJobsStorage__accountName (or __blobServiceUri) is missing');
        if (settings.AzureWebJobsStorage__credential !== 'managedidentity')
          flag(resource, "AzureWebJobsStorage__credential must be 'managedidentity'");
      };
      for (const [name, app] of resourcesOf(tf, 'azurerm_function_app_flex_consumption')) {
        const address = `azurerm_function_app_flex_consumption.${name}`;
        checkSettings(address, (app.app_settings ?? {}) as Attrs);
        const replaced = settingsWrites.find(
          (w) =>
            w.attrs.method === 'PUT' &&
            str(w.attrs.resource_id).startsWith(`\${${address}.id}`) &&
            ((get(w.attrs, 'lifecycle.replace_triggered_by') ?? []) as unknown[]).some(
              (t) => t === address || t === `\${${address}}`,
            ),
        );
        if (!replaced)
          flag(
            address,
            'azurerm injects AzureWebJobsStorage with an empty AccountKey: replace the app settings by a PUT that is re-run on every change to the app (replace_triggered_by)',
          );
      }
      for (const w of settingsWrites)
        checkSettings(`${str(w.attrs.type).split('@')[0]}.${w.name}`, w.settings);
      return violations;
    },
  },
  {
    id: 'same-apply-roles-wait',
    description:
      'Every use of a role assigned in the same apply waits for RBAC propagation (a time_sleep on every dependency path).',
    check: (tf) =>
      unwaitedRoleUses(tf).map((u) => ({
        rule: 'same-apply-roles-wait',
        resource: u.user,
        message:
          u.problem === 'no-dependency'
            ? `does not wait for ${u.role}: ${u.why}; depend on a time_sleep that depends on it`
            : `depends on ${u.role} by a path without a time_sleep: ${u.why}`,
      })),
  },
  {
    id: 'alerts-notify',
    description: 'Every metric alert notifies an action group.',
    check: (tf) =>
      resourcesOf(tf, 'azurerm_monitor_metric_alert')
        .filter(([, a]) => !Array.isArray(a.action) || a.action.length === 0)
        .map(([name]) => ({
          rule: 'alerts-notify',
          resource: `azurerm_monitor_metric_alert.${name}`,
          message: 'alert has no action group',
        })),
  },
];

export function runSecurityRules(
  tf: TerraformJson,
  rules: readonly SecurityRule[] = SECURITY_RULES,
): Violation[] {
  return rules.flatMap((rule) => rule.check(tf));
}

/** Built-in roles that only read (control plane, Key Vault secrets, blobs). */
export const READ_ONLY_ROLES = ['Reader', 'Key Vault Secrets User', 'Storage Blob Data Reader'] as const;

/** An action a read-only custom role may hold: reads and list actions, nothing that writes or deletes. */
const READ_ONLY_ACTION =
  /(\/read|\/(list|listSecrets|listValue|listKeys|readonlykeys|listConnectionStrings)\/action)$/;

interface Identity {
  readonly app: string;
  readonly subjects: string[];
  readonly roles: [string, Attrs][];
}

/** Each Entra application with its federated subjects and its service principal's role assignments. */
function identities(tf: TerraformJson): Identity[] {
  return resourcesOf(tf, 'azuread_application').map(([app]) => {
    const subjects = resourcesOf(tf, 'azuread_application_federated_identity_credential')
      .filter(([, c]) => c.application_id === `\${azuread_application.${app}.id}`)
      .map(([, c]) => str(c.subject));
    const principals = resourcesOf(tf, 'azuread_service_principal')
      .filter(([, p]) => p.client_id === `\${azuread_application.${app}.client_id}`)
      .map(([name]) => `\${azuread_service_principal.${name}.object_id}`);
    const roles = resourcesOf(tf, 'azurerm_role_assignment').filter(([, r]) =>
      principals.includes(str(r.principal_id)),
    );
    return { app, subjects, roles };
  });
}

const RBAC_ADMIN_CONDITION_PARTS = [
  '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals',
  '@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals',
  "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}",
  "@Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}",
] as const;

/** Rules over the bootstrap stack: who may sign in from GitHub, and what each identity may do. */
export const BOOTSTRAP_SECURITY_RULES: readonly SecurityRule[] = [
  {
    id: 'bootstrap-pr-identity-read-only',
    description:
      'An identity that pull requests can sign in as is trusted by pull requests only and holds read-only roles only.',
    check: (tf) =>
      identities(tf)
        .filter((i) => i.subjects.some((s) => s.endsWith(':pull_request')))
        .flatMap((i) => {
          const problems: string[] = [];
          const others = i.subjects.filter((s) => !s.endsWith(':pull_request'));
          if (others.length > 0)
            problems.push(
              `is trusted by pull requests and also by ${others.join(', ')}: split the identities`,
            );
          for (const [name, role] of i.roles) {
            const builtIn = str(role.role_definition_name);
            const custom = referencedCustomRole(tf, role.role_definition_id);
            const readOnly =
              (READ_ONLY_ROLES as readonly string[]).includes(builtIn) ||
              (custom !== undefined &&
                custom.actions.length > 0 &&
                custom.actions.every((a) => READ_ONLY_ACTION.test(a)) &&
                custom.dataActions.length === 0);
            if (!readOnly)
              problems.push(
                `holds ${builtIn || str(role.role_definition_id)} (azurerm_role_assignment.${name}), which can write`,
              );
          }
          return problems.map((message) => ({
            rule: 'bootstrap-pr-identity-read-only',
            resource: `azuread_application.${i.app}`,
            message,
          }));
        }),
  },
  {
    id: 'bootstrap-no-subscription-scope',
    description:
      'No GitHub identity holds a role at subscription scope; both are scoped to the pipeline resource groups.',
    check: (tf) =>
      resourcesOf(tf, 'azurerm_role_assignment')
        .filter(
          ([, a]) =>
            /^\/subscriptions\/[^/]+$/.test(str(a.scope)) ||
            str(a.scope).includes('data.azurerm_subscription'),
        )
        .map(([name, a]) => ({
          rule: 'bootstrap-no-subscription-scope',
          resource: `azurerm_role_assignment.${name}`,
          message: `${str(a.role_definition_name)} at subscription scope; scope it to the pipeline resource groups`,
        })),
  },
  {
    id: 'bootstrap-rbac-admin-conditioned',
    description:
      'Role assignment rights are the RBAC Administrator role with a condition naming the assignable roles and the ServicePrincipal principal type, for writes and deletes; never Owner or User Access Administrator.',
    check: (tf) =>
      resourcesOf(tf, 'azurerm_role_assignment').flatMap(([name, a]) => {
        const role = str(a.role_definition_name);
        const problems: string[] = [];
        if (role === 'Owner' || role === 'User Access Administrator')
          problems.push(`${role} is never needed`);
        if (role === 'Role Based Access Control Administrator') {
          const condition = str(a.condition);
          if (a.condition_version !== '2.0') problems.push("condition_version must be '2.0'");
          const missing = RBAC_ADMIN_CONDITION_PARTS.filter((part) => !condition.includes(part));
          if (missing.length > 0) problems.push(`condition lacks: ${missing.join('; ')}`);
        }
        return problems.map((message) => ({
          rule: 'bootstrap-rbac-admin-conditioned',
          resource: `azurerm_role_assignment.${name}`,
          message,
        }));
      }),
  },
];

function referencedCustomRole(
  tf: TerraformJson,
  roleDefinitionId: unknown,
): { actions: string[]; dataActions: string[] } | undefined {
  const match = str(roleDefinitionId).match(/^\$\{azurerm_role_definition\.([A-Za-z0-9_-]+)\./);
  const definition = match ? tf.resource?.azurerm_role_definition?.[match[1]!] : undefined;
  if (!definition) return undefined;
  const permissions = (Array.isArray(definition.permissions) ? definition.permissions : []) as Attrs[];
  const list = (key: string): string[] =>
    permissions.flatMap((p) => (Array.isArray(p[key]) ? (p[key] as unknown[]).map(str) : []));
  return { actions: list('actions'), dataActions: list('data_actions') };
}
