/**
 * Flex Consumption's per-function scaling: the HTTP-triggered functions of an app scale together, on
 * instances of their own (the `http` group), and every other function, an Event Hubs trigger among
 * them, scales alone on its own instances, named `function:<name>`. An instance of one group never
 * runs another group's functions. Source: "Per-function scaling",
 * https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#per-function-scaling
 * (MicrosoftDocs/azure-docs, articles/azure-functions/flex-consumption-plan.md). The `blob` (Event
 * Grid blob trigger) and `durable` groups exist there too; this host runs neither kind of trigger.
 *
 * The local stack runs one host process per group, as Azure runs at least one instance per group
 * that has work: ingest's HTTP work and the consumer's hub work never share an event loop.
 */
export const HTTP_SCALE_GROUP = 'http';

export type TriggerType = 'httpTrigger' | 'eventHubTrigger';

export function scaleGroupOf(triggerType: TriggerType, functionName: string): string {
  return triggerType === 'httpTrigger' ? HTTP_SCALE_GROUP : `function:${functionName}`;
}

/** Every group of an app, `http` first (the group the gateway's backend is), then by name. */
export function scaleGroupsOf(
  functions: readonly { readonly name: string; readonly triggerType: TriggerType }[],
): string[] {
  const groups = new Set(functions.map((f) => scaleGroupOf(f.triggerType, f.name)));
  return [...groups].sort((a, b) =>
    a === HTTP_SCALE_GROUP ? -1 : b === HTTP_SCALE_GROUP ? 1 : a.localeCompare(b),
  );
}

/** A short name for an instance's process and log file: `http`, or the function's name. */
export function scaleGroupLabel(group: string): string {
  return group.startsWith('function:') ? group.slice('function:'.length) : group;
}

/** The line a host prints before it listens, so a supervisor knows which other groups to start. */
export const SCALE_GROUPS_LINE = /^.*scale groups of the app: (\S+(?:, \S+)*) \(this instance: (\S+)\)/;

export function scaleGroupsLine(groups: readonly string[], instance: string): string {
  return `scale groups of the app: ${groups.join(', ')} (this instance: ${instance})`;
}

export function parseScaleGroupsLine(line: string): { groups: string[]; instance: string } | undefined {
  const match = SCALE_GROUPS_LINE.exec(line);
  return match ? { groups: match[1]!.split(', '), instance: match[2]! } : undefined;
}
