import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { POLICY_FILE_NAMES } from '@pipeline/schemas';
import type { ApiDefinition, ProductDefinition } from './config';
import {
  compileDocument,
  SECTIONS,
  type CompileContext,
  type PolicyDocument,
  type Scope,
  type Section,
  type Statement,
} from './policy';
import { PolicyError, parseXml } from './xml';

/** The policy documents of every scope, read from the files in policies/. */
export interface PolicySet {
  readonly global?: PolicyDocument;
  readonly products: ReadonlyMap<string, PolicyDocument>;
  readonly apis: ReadonlyMap<string, PolicyDocument>;
  /** Keyed `<apiId>/<operationId>`. */
  readonly operations: ReadonlyMap<string, PolicyDocument>;
  readonly files: readonly string[];
}

/** The policy files' naming rule: the contract's (schemas/src/names.ts), the one cdktf deploys by. */
export const policyFileNames = POLICY_FILE_NAMES;

/**
 * Reads every `*.xml` in the folder. Each file name must name a scope the gateway knows
 * (global.xml, product-<id>.xml, api-<id>.xml, operation-<api>-<operation>.xml): a stray file would
 * otherwise be a policy that silently never runs.
 */
export function loadPolicySet(
  policiesDir: string,
  apis: readonly ApiDefinition[],
  products: readonly ProductDefinition[],
  context: Omit<CompileContext, 'scope'>,
): PolicySet {
  const expected = new Map<string, { scope: Scope; key: string }>();
  expected.set(policyFileNames.global(), { scope: 'global', key: '' });
  for (const product of products)
    expected.set(policyFileNames.product(product.id), { scope: 'product', key: product.id });
  for (const api of apis) {
    expected.set(policyFileNames.api(api.id), { scope: 'api', key: api.id });
    for (const operation of api.operations) {
      expected.set(policyFileNames.operation(api.id, operation.id), {
        scope: 'operation',
        key: `${api.id}/${operation.id}`,
      });
    }
  }
  const display = (file: string) => join(basename(policiesDir), file);
  const files = readdirSync(policiesDir)
    .filter((file) => file.endsWith('.xml'))
    .sort();
  let global: PolicyDocument | undefined;
  const productDocs = new Map<string, PolicyDocument>();
  const apiDocs = new Map<string, PolicyDocument>();
  const operationDocs = new Map<string, PolicyDocument>();
  for (const file of files) {
    const target = expected.get(file);
    if (!target) {
      throw new PolicyError(
        display(file),
        1,
        1,
        `the file name does not match a scope (expected one of ${[...expected.keys()].join(', ')})`,
      );
    }
    const root = parseXml(readFileSync(join(policiesDir, file), 'utf8'), display(file));
    const document = compileDocument(root, { ...context, scope: target.scope });
    if (target.scope === 'global') global = document;
    else if (target.scope === 'product') productDocs.set(target.key, document);
    else if (target.scope === 'api') apiDocs.set(target.key, document);
    else operationDocs.set(target.key, document);
  }
  return {
    global,
    products: productDocs,
    apis: apiDocs,
    operations: operationDocs,
    files: files.map(display),
  };
}

/**
 * The statements that run in one section for a request, most specific scope first: each `<base />`
 * is replaced by the parent scope's statements (operation -> API -> product -> global, as in
 * https://learn.microsoft.com/azure/api-management/set-edit-policies#use-base-element-to-set-policy-evaluation-order).
 * A scope without a file behaves as `<base />` alone; a file without the section inherits nothing.
 */
export function effectiveSection(
  section: Section,
  chain: readonly (PolicyDocument | undefined)[],
): Statement[] {
  const expand = (level: number): Statement[] => {
    if (level >= chain.length) return [];
    const document = chain[level];
    if (!document) return expand(level + 1);
    const statements = document[section] ?? [];
    return statements.flatMap((statement) => (statement.kind === 'base' ? expand(level + 1) : [statement]));
  };
  return expand(0);
}

export type Pipeline = Readonly<Record<Section, readonly Statement[]>>;

/** The full pipeline for an operation, with or without a product (no product: keyless or preflight). */
export function buildPipeline(
  set: PolicySet,
  apiId: string,
  operationId: string,
  productId: string | undefined,
): Pipeline {
  const chain = [
    set.operations.get(`${apiId}/${operationId}`),
    set.apis.get(apiId),
    productId === undefined ? undefined : set.products.get(productId),
    set.global,
  ];
  const pipeline = {} as Record<Section, Statement[]>;
  for (const section of SECTIONS) pipeline[section] = effectiveSection(section, chain);
  return pipeline;
}
