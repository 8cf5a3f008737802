/**
 * Decides whether a change set touches what the Terraform plan is made of. Plain prefixes and exact
 * names, no glob library: the list is short and must be obvious to read.
 */
export const INFRASTRUCTURE_PATHS: readonly string[] = [
  'cdktf/', // the stack itself
  'policies/', // APIM policy XML, deployed verbatim
  'schemas/', // the contract APIM validates against
  'package-lock.json', // provider and cdktf versions
  '.github/workflows/ci.yml',
  '.github/workflows/deploy.yml',
  '.github/workflows/destroy.yml',
];

export function touchesInfrastructure(
  changedFiles: readonly string[],
  paths: readonly string[] = INFRASTRUCTURE_PATHS,
): string[] {
  return changedFiles
    .map((f) => f.trim().replace(/^\.\//, ''))
    .filter((f) => f && paths.some((p) => (p.endsWith('/') ? f.startsWith(p) : f === p)));
}
