import type { Construct } from 'constructs';
import type { ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';
import { TerraformProvider, TerraformResource } from 'cdktf';

/**
 * The few settings the pinned azurerm provider (4.55.0) cannot express are set through the
 * `azure/azapi` provider, which speaks the ARM REST API directly. No generated bindings exist for
 * it here, so these small classes write its Terraform JSON by hand. Pinned exactly, like every
 * other provider, so a new release never changes a plan unannounced; 2.5.0 is the release the
 * earlier `~> 2.5` constraint was written against (azapi_update_resource and azapi_resource_action
 * with HCL-object bodies, as used here).
 */
export const AZAPI_VERSION = '2.5.0';

export class AzapiProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'azapi',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersion: AZAPI_VERSION },
      terraformProviderSource: 'azure/azapi',
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}

export interface AzapiUpdateResourceConfig {
  /** `<resource type>@<api version>`. */
  readonly type: string;
  /** ARM id of the existing resource to update. */
  readonly resourceId: string;
  /** The properties to merge into the resource (an ARM request body fragment). */
  readonly body: Record<string, unknown>;
  readonly provider: AzapiProvider;
  readonly dependsOn?: ITerraformDependable[];
}

/** `azapi_update_resource`: merges `body` into an existing resource (GET, merge, PUT). */
export class AzapiUpdateResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly config: AzapiUpdateResourceConfig,
  ) {
    super(scope, id, {
      terraformResourceType: 'azapi_update_resource',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersion: AZAPI_VERSION },
      provider: config.provider,
      dependsOn: config.dependsOn,
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { type: this.config.type, resource_id: this.config.resourceId, body: this.config.body };
  }
}

export interface AzapiResourceActionConfig {
  /** `<resource type>@<api version>`. */
  readonly type: string;
  /** ARM id the request goes to. */
  readonly resourceId: string;
  /** HTTP method (`PUT` replaces the resource with exactly `body`). */
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly body: Record<string, unknown>;
  readonly provider: AzapiProvider;
  readonly dependsOn?: ITerraformDependable[];
  readonly lifecycle?: TerraformResourceLifecycle;
}

/**
 * `azapi_resource_action`: sends one request (on create, and again when its inputs change or it is
 * replaced), without reading the resource first, so a PUT sets exactly the body.
 */
export class AzapiResourceAction extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly config: AzapiResourceActionConfig,
  ) {
    super(scope, id, {
      terraformResourceType: 'azapi_resource_action',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersion: AZAPI_VERSION },
      provider: config.provider,
      dependsOn: config.dependsOn,
      lifecycle: config.lifecycle,
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      type: this.config.type,
      resource_id: this.config.resourceId,
      method: this.config.method,
      body: this.config.body,
    };
  }
}
