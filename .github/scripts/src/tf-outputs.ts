/**
 * Reads `terraform output -json` and hands the values the workflows need to later steps. Names are
 * the UPPER_SNAKE outputs the cdktf stack declares; sensitive outputs are masked before use.
 */
import { PIPELINE_OUTPUTS, type PipelineOutputName } from '@pipeline/schemas';

export type TerraformOutputs = Readonly<
  Record<string, { readonly sensitive?: boolean; readonly type?: unknown; readonly value: unknown }>
>;

/**
 * What `tf-outputs` sets when no `--require` names them: the outputs the deploy workflow reads, by
 * the contract's names (schemas/src/terraform-outputs.ts).
 */
export const DEPLOY_OUTPUTS: readonly PipelineOutputName[] = [
  PIPELINE_OUTPUTS.apiBaseUrl,
  PIPELINE_OUTPUTS.functionAppName,
  PIPELINE_OUTPUTS.resourceGroup,
  PIPELINE_OUTPUTS.cosmosEndpoint,
  PIPELINE_OUTPUTS.keyVaultName,
  PIPELINE_OUTPUTS.apimName,
  PIPELINE_OUTPUTS.subscriptionKeySecret,
  PIPELINE_OUTPUTS.basicAuthSecret,
];

export interface ResolvedOutput {
  readonly name: string;
  readonly value: string;
  readonly sensitive: boolean;
}

export function parseOutputs(json: string): TerraformOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('not JSON: expected the output of `terraform output -json`');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('expected an object of outputs from `terraform output -json`');
  }
  for (const [name, entry] of Object.entries(parsed)) {
    if (!entry || typeof entry !== 'object' || !('value' in entry)) {
      throw new Error(`output ${name} has no value: expected the output of \`terraform output -json\``);
    }
  }
  return parsed as TerraformOutputs;
}

/**
 * Picks the required outputs (and any extra ones asked for), failing with every missing name at
 * once. Values must be strings or numbers: an object would not survive a step output.
 */
export function resolveOutputs(outputs: TerraformOutputs, required: readonly string[]): ResolvedOutput[] {
  const missing = required.filter((name) => !(name in outputs));
  if (missing.length) {
    throw new Error(
      `the stack has no output ${missing.join(', ')} (it has: ${Object.keys(outputs).sort().join(', ') || 'none'}); ` +
        'was it applied from this commit?',
    );
  }
  return required.map((name) => {
    const { value, sensitive } = outputs[name]!;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`output ${name} is not a scalar`);
    }
    const text = String(value);
    if (text === '') throw new Error(`output ${name} is empty`);
    return { name, value: text, sensitive: sensitive === true };
  });
}
