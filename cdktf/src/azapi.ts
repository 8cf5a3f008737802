import type { Construct } from 'constructs';
import { TerraformProvider, TerraformResource } from 'cdktf';

/**
 * The few settings the pinned azurerm provider (4.55.0) cannot express are set through the
 * `azure/azapi` provider, which speaks the ARM REST API directly. No generated bindings exist for
 * it here, so these two small classes write its Terraform JSON by hand.
 */
export const AZAPI_VERSION = '~> 2.5';

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
  readonly dependsOn?: TerraformResource[];
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
