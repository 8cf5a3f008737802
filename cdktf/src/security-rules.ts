/**
 * Security rules as code: checks over the synthesized Terraform JSON of a pipeline stack. They
 * read what Terraform will actually receive, so they hold whatever construct produced a resource.
 * `npm run -w cdktf synth` fails on any violation; each rule has a test proving it catches a bad
 * fixture.
 */

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
