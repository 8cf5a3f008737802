/**
 * How much each fault scenario replays. The faults and their checks are the same at every volume;
 * only the number of events (or generated requests) around them changes.
 *
 * - `report`: the volumes issue 10 set, which `npm run faults` measures for docs/reliability.md.
 * - `test`: what the fault lane of `npm test` replays, so the whole suite fits its time on a 2-core
 *   machine (docs/decisions.md FAULTS-LANE-1). Five host kills still land mid-stream, every hostile
 *   mutation kind is still generated (the rarest, oversize-body, 5 times; scenarios.test.ts), and
 *   the Event Hubs kill (after 1,000 accepted) and the store outages (after 800) still have events
 *   after them.
 */
export interface Volumes {
  /** Events replayed while the functions host is SIGKILLed five times. */
  readonly hostKillEvents: number;
  /** Events replayed at 150/s around the Event Hubs emulator's kill and each store's 10 s outage. */
  readonly steadyEvents: number;
  /** Hostile requests the fuzz scenario generates and sends. */
  readonly fuzzRequests: number;
}

export const VOLUMES = {
  report: { hostKillEvents: 20_000, steadyEvents: 3_000, fuzzRequests: 10_000 },
  test: { hostKillEvents: 5_000, steadyEvents: 1_500, fuzzRequests: 3_000 },
} as const satisfies Record<string, Volumes>;

export type VolumeName = keyof typeof VOLUMES;

/** The volume a name picks (`FAULTS_VOLUMES` in the jest lane); unset means `fallback`. */
export function volumesNamed(name: string | undefined, fallback: VolumeName): Volumes {
  if (name === undefined || name === '') return VOLUMES[fallback];
  if (name in VOLUMES) return VOLUMES[name as VolumeName];
  throw new Error(`unknown fault volume "${name}": use one of ${Object.keys(VOLUMES).join(', ')}`);
}
