import { AzurermBackend } from 'cdktf';
import type { TerraformStack } from 'cdktf';

export interface RemoteStateSettings {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
}

/**
 * Remote state settings from the environment (the GitHub variables the bootstrap prints):
 * `TF_STATE_RESOURCE_GROUP`, `TF_STATE_STORAGE_ACCOUNT`, `TF_STATE_CONTAINER` (default `tfstate`).
 * Undefined when the storage account is not set: the stack then keeps local state.
 */
export function remoteStateFromEnv(env: NodeJS.ProcessEnv = process.env): RemoteStateSettings | undefined {
  const storageAccountName = env.TF_STATE_STORAGE_ACCOUNT?.trim();
  if (!storageAccountName) return undefined;
  const resourceGroupName = env.TF_STATE_RESOURCE_GROUP?.trim();
  if (!resourceGroupName) {
    throw new Error(
      'TF_STATE_STORAGE_ACCOUNT is set but TF_STATE_RESOURCE_GROUP is not: set both, or neither for local state',
    );
  }
  return {
    resourceGroupName,
    storageAccountName,
    containerName: env.TF_STATE_CONTAINER?.trim() || 'tfstate',
  };
}

/**
 * The azurerm backend with Entra ID auth (the state account has shared keys disabled) and OIDC
 * (GitHub's token; the tenant, client and subscription come from ARM_* variables at init).
 */
export function useRemoteState(
  stack: TerraformStack,
  stateKey: string,
  settings: RemoteStateSettings,
): AzurermBackend {
  return new AzurermBackend(stack, {
    resourceGroupName: settings.resourceGroupName,
    storageAccountName: settings.storageAccountName,
    containerName: settings.containerName,
    key: `${stateKey}.tfstate`,
    useAzureadAuth: true,
    useOidc: true,
  });
}
