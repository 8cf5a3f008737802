import type { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Sleep } from '@cdktf/provider-time/lib/sleep';

/**
 * How long a use of a role assigned in the same apply waits. Azure RBAC is eventually consistent:
 * "role assignment changes can take up to 10 minutes to take effect"
 * (learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Role assignment changes
 * are not being detected"); a new assignment to a service principal usually works within one to two
 * minutes. Five minutes covers the usual case with margin; time_sleep waits only when it is created
 * (the first apply, or when the role assignments it waits for are replaced), never on later applies.
 */
export const RBAC_PROPAGATION_WAIT = '300s';

/**
 * A `time_sleep` (hashicorp/time) that starts once every given role assignment exists. Whatever
 * uses those roles depends on the returned wait, never on the assignments directly
 * (security rule `same-apply-roles-wait`). Source: registry.terraform.io/providers/hashicorp/time,
 * resource time_sleep ("Delay Create": `create_duration`, `depends_on`).
 */
export function waitForRoles(
  scope: Construct,
  id: string,
  roleAssignments: readonly (ITerraformDependable & { readonly id: string })[],
): Sleep {
  if (roleAssignments.length === 0) throw new Error(`${id}: a wait needs at least one role assignment`);
  return new Sleep(scope, id, {
    createDuration: RBAC_PROPAGATION_WAIT,
    // The ids as triggers: a replaced assignment (new principal or scope) replaces the wait too.
    triggers: Object.fromEntries(roleAssignments.map((r, i) => [`role_${i}`, r.id])),
    dependsOn: [...roleAssignments],
  });
}
