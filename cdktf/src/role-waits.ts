/**
 * Which resources use a role assigned in the same apply, and whether they wait for it: a walk over
 * the synthesized Terraform JSON's dependency graph (`depends_on` plus every `${type.name...}`
 * reference), so it judges what Terraform will order, whatever construct wrote it.
 *
 * Azure RBAC takes minutes to propagate (learn.microsoft.com/azure/role-based-access-control/
 * troubleshooting). A use that starts when its role assignment is merely *created* fails with 403
 * on a first apply. A use is safe when it depends on the assignment and every dependency path from
 * the use to the assignment passes through a `time_sleep`.
 */

type Attrs = Record<string, unknown>;

/** The parts of a synthesized stack the walk reads. */
export interface GraphInput {
  readonly resource?: Record<string, Record<string, Attrs>>;
  readonly data?: Record<string, Record<string, Attrs>>;
  readonly output?: Record<string, Attrs>;
}

/** Role assignment types whose effect propagates asynchronously. */
export const ROLE_ASSIGNMENT_TYPES = [
  'azurerm_role_assignment',
  'azurerm_cosmosdb_sql_role_assignment',
] as const;
export const WAIT_TYPE = 'time_sleep';

/** Node address: `type.name`, `data.type.name` or `output.NAME`. */
export type Address = string;

export interface RoleUse {
  /** The resource (or output) whose creation uses the roles. */
  readonly user: Address;
  /** The role assignments it needs. */
  readonly roles: readonly Address[];
  /** Why it needs them. */
  readonly why: string;
}

export interface UnwaitedUse {
  readonly user: Address;
  readonly role: Address;
  readonly why: string;
  /** `no-dependency`: the user does not wait for the role at all; `bypasses-wait`: a path skips every wait. */
  readonly problem: 'no-dependency' | 'bypasses-wait';
}

function nodesOf(tf: GraphInput): Map<Address, Attrs> {
  const nodes = new Map<Address, Attrs>();
  for (const [type, byName] of Object.entries(tf.resource ?? {}))
    for (const [name, attrs] of Object.entries(byName)) nodes.set(`${type}.${name}`, attrs);
  for (const [type, byName] of Object.entries(tf.data ?? {}))
    for (const [name, attrs] of Object.entries(byName)) nodes.set(`data.${type}.${name}`, attrs);
  for (const [name, attrs] of Object.entries(tf.output ?? {})) nodes.set(`output.${name}`, attrs);
  return nodes;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

const REFERENCE = /(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+/g;

/**
 * Edges from each node to the nodes it depends on. `lifecycle` is left out: `replace_triggered_by`
 * orders nothing on a first apply.
 */
export function dependencyGraph(tf: GraphInput): Map<Address, Set<Address>> {
  const nodes = nodesOf(tf);
  const graph = new Map<Address, Set<Address>>();
  for (const [address, attrs] of nodes) {
    const edges = new Set<Address>();
    const { lifecycle: _lifecycle, depends_on: dependsOn, ...rest } = attrs;
    for (const d of Array.isArray(dependsOn) ? dependsOn : []) if (typeof d === 'string') edges.add(d);
    for (const s of strings(rest)) {
      if (!s.includes('${')) continue;
      for (const match of s.match(REFERENCE) ?? []) {
        if (nodes.has(match) && match !== address) edges.add(match);
      }
    }
    graph.set(address, edges);
  }
  return graph;
}

const typeOf = (address: Address): string =>
  address.startsWith('data.') ? `data.${address.split('.')[1]}` : address.split('.')[0]!;
const isRole = (address: Address): boolean =>
  (ROLE_ASSIGNMENT_TYPES as readonly string[]).includes(typeOf(address));

/** Nodes reachable from `start`; `stopAtWaits` does not walk past a time_sleep. */
function reachable(graph: Map<Address, Set<Address>>, start: Address, stopAtWaits: boolean): Set<Address> {
  const seen = new Set<Address>();
  const stack = [...(graph.get(start) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    if (stopAtWaits && typeOf(next) === WAIT_TYPE) continue;
    stack.push(...(graph.get(next) ?? []));
  }
  return seen;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** `name` from `${type.name.attr...}`, or undefined when the value is no such reference. */
function referencedName(value: unknown, type: string): string | undefined {
  const match = str(value).match(new RegExp(`\\$\\{${type}\\.([A-Za-z0-9_-]+)\\.`));
  return match?.[1];
}

/**
 * The known uses of same-apply roles, each with its source of truth:
 * - a Key Vault secret is written by the deployer, who needs a Secrets Officer assignment on that vault;
 * - a Key-Vault-backed APIM named value is read by the gateway's identity when it is created;
 * - an Event Hubs Capture update makes the namespace's identity write to storage;
 * - the code deploy after the apply needs the function app identity's roles: the `FUNCTION_ROLES_READY`
 *   output stands for it (the deploy workflow runs only after the apply that prints it).
 */
export function roleUses(tf: GraphInput): RoleUse[] {
  const roles = ROLE_ASSIGNMENT_TYPES.flatMap((type) =>
    Object.entries(tf.resource?.[type] ?? {}).map(([name, attrs]) => ({ address: `${type}.${name}`, attrs })),
  );
  const rolesWhere = (predicate: (a: Attrs) => boolean): Address[] =>
    roles.filter((r) => predicate(r.attrs)).map((r) => r.address);
  const uses: RoleUse[] = [];

  for (const [name, secret] of Object.entries(tf.resource?.azurerm_key_vault_secret ?? {})) {
    const vault = referencedName(secret.key_vault_id, 'azurerm_key_vault');
    uses.push({
      user: `azurerm_key_vault_secret.${name}`,
      roles: rolesWhere(
        (a) =>
          vault !== undefined &&
          str(a.scope).startsWith(`\${azurerm_key_vault.${vault}.id}`) &&
          ['Key Vault Secrets Officer', 'Key Vault Administrator'].includes(str(a.role_definition_name)),
      ),
      why: 'the deployer writes the secret with its Key Vault Secrets Officer role',
    });
  }
  for (const [name, value] of Object.entries(tf.resource?.azurerm_api_management_named_value ?? {})) {
    if (value.value_from_key_vault === undefined) continue;
    const service = referencedName(value.api_management_name, 'azurerm_api_management');
    uses.push({
      user: `azurerm_api_management_named_value.${name}`,
      roles: rolesWhere(
        (a) =>
          service !== undefined &&
          str(a.principal_id) === `\${azurerm_api_management.${service}.identity[0].principal_id}`,
      ),
      why: "API Management reads the Key Vault secret with its identity's Key Vault Secrets User role",
    });
  }
  for (const type of ['azapi_update_resource', 'azapi_resource']) {
    for (const [name, update] of Object.entries(tf.resource?.[type] ?? {})) {
      if (!str(update.type).startsWith('Microsoft.EventHub/namespaces/eventhubs@')) continue;
      if (JSON.stringify(update.body ?? {}).indexOf('captureDescription') === -1) continue;
      const hub = referencedName(update.resource_id, 'azurerm_eventhub');
      const hubAttrs = hub ? tf.resource?.azurerm_eventhub?.[hub] : undefined;
      const namespace = referencedName(hubAttrs?.namespace_id, 'azurerm_eventhub_namespace');
      uses.push({
        user: `${type}.${name}`,
        roles: rolesWhere(
          (a) =>
            namespace !== undefined &&
            str(a.principal_id) === `\${azurerm_eventhub_namespace.${namespace}.identity[0].principal_id}`,
        ),
        why: "Capture writes to storage with the namespace identity's Storage Blob Data Contributor role",
      });
    }
  }
  for (const name of Object.keys(tf.resource?.azurerm_function_app_flex_consumption ?? {})) {
    const principal = `\${azurerm_function_app_flex_consumption.${name}.identity[0].principal_id}`;
    const needed = rolesWhere((a) => str(a.principal_id) === principal);
    if (needed.length === 0) continue;
    uses.push({
      user: 'output.FUNCTION_ROLES_READY',
      roles: needed,
      why: "the code deploy after the apply runs with the function app identity's roles",
    });
  }
  return uses;
}

/** Every use of a same-apply role that does not wait for it (empty when all wait). */
export function unwaitedRoleUses(tf: GraphInput): UnwaitedUse[] {
  const graph = dependencyGraph(tf);
  const problems: UnwaitedUse[] = [];
  for (const use of roleUses(tf)) {
    const all = graph.has(use.user) ? reachable(graph, use.user, false) : new Set<Address>();
    const withoutWaits = graph.has(use.user) ? reachable(graph, use.user, true) : new Set<Address>();
    for (const role of use.roles) {
      if (!isRole(role)) continue;
      if (!all.has(role)) problems.push({ user: use.user, role, why: use.why, problem: 'no-dependency' });
      else if (withoutWaits.has(role))
        problems.push({ user: use.user, role, why: use.why, problem: 'bypasses-wait' });
    }
  }
  return problems;
}
