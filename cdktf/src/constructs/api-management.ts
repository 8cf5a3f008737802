import { Construct } from 'constructs';
import { ApiManagement as AzApiManagement } from '@cdktf/provider-azurerm/lib/api-management';
import { ApiManagementApi } from '@cdktf/provider-azurerm/lib/api-management-api';
import { ApiManagementApiDiagnostic } from '@cdktf/provider-azurerm/lib/api-management-api-diagnostic';
import { ApiManagementApiOperation } from '@cdktf/provider-azurerm/lib/api-management-api-operation';
import { ApiManagementApiOperationPolicy } from '@cdktf/provider-azurerm/lib/api-management-api-operation-policy';
import { ApiManagementApiPolicy } from '@cdktf/provider-azurerm/lib/api-management-api-policy';
import { ApiManagementBackend } from '@cdktf/provider-azurerm/lib/api-management-backend';
import { ApiManagementGlobalSchema } from '@cdktf/provider-azurerm/lib/api-management-global-schema';
import { ApiManagementLogger } from '@cdktf/provider-azurerm/lib/api-management-logger';
import { ApiManagementNamedValue } from '@cdktf/provider-azurerm/lib/api-management-named-value';
import { ApiManagementPolicy } from '@cdktf/provider-azurerm/lib/api-management-policy';
import { ApiManagementProduct } from '@cdktf/provider-azurerm/lib/api-management-product';
import { ApiManagementProductApi } from '@cdktf/provider-azurerm/lib/api-management-product-api';
import { ApiManagementProductPolicy } from '@cdktf/provider-azurerm/lib/api-management-product-policy';
import { ApiManagementSubscription } from '@cdktf/provider-azurerm/lib/api-management-subscription';
import type { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { ITerraformDependable } from 'cdktf';
import type { PolicySet } from '../policy-files';
import { waitForRoles } from '../rbac-wait';
import { Diagnostics } from './diagnostics';
import { apiBaseUrl, APIM_NAMES } from '@pipeline/schemas';

export interface ApiManagementProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** `<tier>_<capacity>`, e.g. `Consumption_0`. */
  readonly sku: string;
  readonly publisherName: string;
  readonly publisherEmail: string;
  /** Base URL of the function app's HTTP functions (`https://<host>/api`). */
  readonly functionBaseUrl: string;
  /** ARM id of the function app (shown as the backend's resource). */
  readonly functionAppId: string;
  /** Key Vault secret holding the full `Basic ...` header value. */
  readonly basicAuthSecret: KeyVaultSecret;
  /** Key Vault secret holding the function key APIM sends as `x-functions-key`. */
  readonly functionKeySecret: KeyVaultSecret;
  /** Origin of the dashboard (plain named value for CORS policies). */
  readonly dashboardOrigin: string;
  /** Policy XML, verbatim from `policies/`. */
  readonly policies: PolicySet;
  /** The draft-07 rendering of the request schema (from the message contract), for validate-content. */
  readonly schemaJson: string;
  readonly applicationInsightsId: string;
  readonly applicationInsightsConnectionString: string;
  readonly samplingPercentage: number;
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
}

/**
 * API Management in front of the ingest function: Key Vault-backed named values read with the
 * gateway's managed identity, the contract as a schema for validate-content, the policy files at
 * service, product, API and operation scope, a product with a subscription for the producer, and
 * request logging to Application Insights.
 */
export class ApiManagement extends Construct {
  readonly service: AzApiManagement;
  readonly api: ApiManagementApi;
  readonly product: ApiManagementProduct;
  readonly subscription: ApiManagementSubscription;
  readonly backend: ApiManagementBackend;
  readonly namedValues: Readonly<Record<string, ApiManagementNamedValue>>;

  constructor(scope: Construct, id: string, props: ApiManagementProps) {
    super(scope, id);
    const common = { apiManagementName: props.name, resourceGroupName: props.resourceGroupName };
    this.service = new AzApiManagement(this, 'service', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      skuName: props.sku,
      publisherName: props.publisherName,
      publisherEmail: props.publisherEmail,
      identity: { type: 'SystemAssigned' },
      // Management API clients older than this cannot change the service (security baseline).
      minApiVersion: '2021-08-01',
      // TLS 1.2 or later on both sides (the protocol switches, which every tier accepts).
      security: {
        frontendSsl30Enabled: false,
        frontendTls10Enabled: false,
        frontendTls11Enabled: false,
        backendSsl30Enabled: false,
        backendTls10Enabled: false,
        backendTls11Enabled: false,
      },
      tags: props.tags,
    });
    const apimDependency = { ...common, apiManagementName: this.service.name };

    // The gateway reads exactly these two secrets, each granted at the secret's own scope.
    const secretAccess: RoleAssignment[] = [props.basicAuthSecret, props.functionKeySecret].map(
      (secret, i) =>
        new RoleAssignment(this, `secret-reader-${i}`, {
          scope: secret.resourceVersionlessId,
          roleDefinitionName: 'Key Vault Secrets User',
          principalId: this.service.identity.principalId,
          principalType: 'ServicePrincipal',
          description: `API Management reads the ${secret.name} secret`,
        }),
    );

    const secretAccessReady = waitForRoles(this, 'wait-secret-readers', secretAccess);
    const keyVaultValue = (name: string, secret: KeyVaultSecret): ApiManagementNamedValue =>
      new ApiManagementNamedValue(this, `named-value-${name}`, {
        ...apimDependency,
        name,
        displayName: name,
        secret: true,
        valueFromKeyVault: { secretId: secret.versionlessId },
        // APIM reads the secret when the named value is created: wait for its new role to propagate.
        dependsOn: [secretAccessReady],
      });
    const namedValues: Record<string, ApiManagementNamedValue> = {
      [APIM_NAMES.namedValues.basicAuthHeader]: keyVaultValue(
        APIM_NAMES.namedValues.basicAuthHeader,
        props.basicAuthSecret,
      ),
      [APIM_NAMES.namedValues.functionKey]: keyVaultValue(
        APIM_NAMES.namedValues.functionKey,
        props.functionKeySecret,
      ),
      [APIM_NAMES.namedValues.dashboardOrigin]: new ApiManagementNamedValue(
        this,
        'named-value-dashboard-origin',
        {
          ...apimDependency,
          name: APIM_NAMES.namedValues.dashboardOrigin,
          displayName: APIM_NAMES.namedValues.dashboardOrigin,
          secret: false,
          value: props.dashboardOrigin,
        },
      ),
    };
    this.namedValues = namedValues;

    const schema = new ApiManagementGlobalSchema(this, 'schema', {
      ...apimDependency,
      schemaId: APIM_NAMES.schema,
      type: 'json',
      description: 'TweetEvent message contract (schemas/tweet-event.schema.json, as draft-07)',
      value: props.schemaJson,
    });

    this.backend = new ApiManagementBackend(this, 'backend', {
      ...apimDependency,
      name: APIM_NAMES.backend,
      protocol: 'http',
      url: props.functionBaseUrl,
      resourceId: `https://management.azure.com${props.functionAppId}`,
      description: 'The ingest function app',
      tls: { validateCertificateChain: true, validateCertificateName: true },
      // No credentials here: policies/api-ingest.xml sets x-functions-key from the named value,
      // and a second copy from the backend would reach the function as a comma-joined header.
    });

    this.api = new ApiManagementApi(this, 'api', {
      ...apimDependency,
      name: APIM_NAMES.api,
      displayName: 'Ingest',
      path: APIM_NAMES.apiPath,
      protocols: ['https'],
      revision: '1',
      serviceUrl: props.functionBaseUrl,
      subscriptionRequired: true,
      subscriptionKeyParameterNames: { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key' },
    });
    const operation = new ApiManagementApiOperation(this, 'operation', {
      ...apimDependency,
      apiName: this.api.name,
      operationId: APIM_NAMES.operation,
      displayName: 'Post events',
      method: APIM_NAMES.operationMethod,
      urlTemplate: APIM_NAMES.operationUrlTemplate,
      description: 'Send one TweetEvent or a batch of them.',
      request: { representation: [{ contentType: 'application/json' }] },
      response: [
        { statusCode: 202, description: 'Accepted: stored and published' },
        { statusCode: 400, description: 'Invalid event, with every error' },
        { statusCode: 401, description: 'Missing or wrong credentials' },
        { statusCode: 413, description: 'Body too large' },
        { statusCode: 429, description: 'Rate limit or quota exceeded' },
      ],
    });

    // Every policy may reference the named values, the schema and the backend: create them first.
    const policyDependencies: ITerraformDependable[] = [...Object.values(namedValues), schema, this.backend];
    new ApiManagementPolicy(this, 'global-policy', {
      apiManagementId: this.service.id,
      xmlContent: required(props.policies.global, 'global'),
      dependsOn: policyDependencies,
    });
    new ApiManagementApiPolicy(this, 'api-policy', {
      ...apimDependency,
      apiName: this.api.name,
      xmlContent: required(props.policies.api, 'api'),
      dependsOn: policyDependencies,
    });
    if (props.policies.operation !== undefined) {
      new ApiManagementApiOperationPolicy(this, 'operation-policy', {
        ...apimDependency,
        apiName: this.api.name,
        operationId: operation.operationId,
        xmlContent: props.policies.operation,
        dependsOn: policyDependencies,
      });
    }

    this.product = new ApiManagementProduct(this, 'product', {
      ...apimDependency,
      productId: APIM_NAMES.product,
      displayName: 'Ingest',
      description: 'Producers sending events to the pipeline',
      published: true,
      subscriptionRequired: true,
      approvalRequired: true,
      subscriptionsLimit: 5,
    });
    new ApiManagementProductApi(this, 'product-api', {
      ...apimDependency,
      productId: this.product.productId,
      apiName: this.api.name,
    });
    new ApiManagementProductPolicy(this, 'product-policy', {
      ...apimDependency,
      productId: this.product.productId,
      xmlContent: required(props.policies.product, 'product'),
      dependsOn: policyDependencies,
    });
    this.subscription = new ApiManagementSubscription(this, 'subscription', {
      ...apimDependency,
      subscriptionId: APIM_NAMES.subscription,
      displayName: 'Producer',
      productId: this.product.id,
      state: 'active',
      allowTracing: false,
    });

    const logger = new ApiManagementLogger(this, 'logger', {
      ...apimDependency,
      name: 'app-insights',
      resourceId: props.applicationInsightsId,
      applicationInsights: { connectionString: props.applicationInsightsConnectionString },
      buffered: true,
    });
    new ApiManagementApiDiagnostic(this, 'api-diagnostic', {
      ...apimDependency,
      identifier: 'applicationinsights',
      apiName: this.api.name,
      apiManagementLoggerId: logger.id,
      samplingPercentage: props.samplingPercentage,
      alwaysLogErrors: true,
      verbosity: 'information',
      httpCorrelationProtocol: 'W3C',
      // Client addresses are personal data; bodies may carry user text. Neither is logged.
      logClientIp: false,
    });

    new Diagnostics(this, 'diagnostics', {
      targetResourceId: this.service.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['AllMetrics'],
    });
  }

  /** The public base URL of the ingest API. */
  get apiBaseUrl(): string {
    return apiBaseUrl(this.service.gatewayUrl);
  }
}

function required(xml: string | undefined, scope: string): string {
  if (xml === undefined) throw new Error(`The ${scope} policy is required`);
  return xml;
}
