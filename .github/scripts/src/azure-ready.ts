/**
 * Whether this job can sign in to Azure and reach the Terraform state: the three OIDC identifiers,
 * the state backend variables, and an OIDC token endpoint (GitHub withholds it from pull requests
 * opened from forks, and from jobs without `id-token: write`).
 */
export const REQUIRED_AZURE_SETTINGS = [
  { env: 'ARM_CLIENT_ID', setting: 'AZURE_CLIENT_ID (secret or variable)' },
  { env: 'ARM_TENANT_ID', setting: 'AZURE_TENANT_ID (secret or variable)' },
  { env: 'ARM_SUBSCRIPTION_ID', setting: 'AZURE_SUBSCRIPTION_ID (secret or variable)' },
  { env: 'TF_STATE_RESOURCE_GROUP', setting: 'TF_STATE_RESOURCE_GROUP (variable)' },
  { env: 'TF_STATE_STORAGE_ACCOUNT', setting: 'TF_STATE_STORAGE_ACCOUNT (variable)' },
] as const;

/**
 * Which Entra identity the job signs in as: `plan` (pull requests; read-only, secret
 * AZURE_PLAN_CLIENT_ID) or `deploy` (the main branch and the production environment; AZURE_CLIENT_ID).
 * Both arrive in ARM_CLIENT_ID; only the setting a user must add differs.
 */
export type AzureIdentity = 'plan' | 'deploy';

export const CLIENT_ID_SETTING: Record<AzureIdentity, string> = {
  plan: 'AZURE_PLAN_CLIENT_ID',
  deploy: 'AZURE_CLIENT_ID',
};

export interface AzureReadiness {
  readonly ready: boolean;
  /** The repository settings to add, by the names a user sets them under. */
  readonly missing: readonly string[];
  readonly oidcAvailable: boolean;
}

export function azureReadiness(env: NodeJS.ProcessEnv, identity: AzureIdentity = 'deploy'): AzureReadiness {
  const missing = REQUIRED_AZURE_SETTINGS.filter((s) => !env[s.env]?.trim()).map((s) =>
    s.env === 'ARM_CLIENT_ID' ? `${CLIENT_ID_SETTING[identity]} (secret or variable)` : s.setting,
  );
  const oidcAvailable = Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  return { ready: missing.length === 0 && oidcAvailable, missing, oidcAvailable };
}

export function readinessMessage(r: AzureReadiness, required = false): string {
  if (r.ready) return 'Azure credentials and the Terraform state backend are configured.';
  const reasons: string[] = [];
  if (r.missing.length) reasons.push(`the repository has no ${r.missing.join(', ')}`);
  if (!r.oidcAvailable) {
    reasons.push(
      'no OIDC token is available to this job (a pull request from a fork, or a job without id-token: write)',
    );
  }
  return required
    ? `Cannot deploy: ${reasons.join('; and ')}. Run the bootstrap and set them as docs/deploying.md describes.`
    : `Terraform plan skipped: ${reasons.join('; and ')}. This is expected on forks; see docs/deploying.md to set them up.`;
}
