import { replaceMarkedSection } from '../report-files';
// The section of docs/performance.md that each `npm run bench` rewrites (between the markers), built
// from the result alone so it can be tested without running anything.
import { evaluateGoals, type GoalOutcome } from './goals';
import { saturationPerSecond, stageCeilings } from './ratios';
import { BULK_CEILING, HUB_CEILING, PRODUCER, STORE_CEILING } from './settings';
import type { BenchResult, StepResult } from './types';

export const BEGIN = '<!-- pipeline-bench:begin -->';
export const END = '<!-- pipeline-bench:end -->';

const n = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US');
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');
const stepName = (s: StepResult) =>
  s.kind === 'unlimited' ? 'unlimited' : s.kind === 'half-saturation' ? 'half saturation' : 'fixed rate';

/** Who used the CPU while the pipeline was saturated: the processes by CPU share, busiest first. */
export function saturationCpu(r: Pick<BenchResult, 'steps'>): Array<[string, number]> {
  const unlimited = r.steps.find((s) => s.kind === 'unlimited');
  return unlimited ? Object.entries(unlimited.cpuShare).sort(([, a], [, b]) => b - a) : [];
}

export function renderSection(r: BenchResult, chartFile: string): string {
  const goals: GoalOutcome[] = evaluateGoals(r);
  const unlimited = r.steps.find((s) => s.kind === 'unlimited');
  const busy = saturationCpu(r);
  const totalCpu = busy.reduce((sum, [, share]) => sum + share, 0);
  const met = goals.filter((g) => g.met === true).length;
  const cpuPerEventMs =
    unlimited && unlimited.storedPerSecond > 0 ? (totalCpu / unlimited.storedPerSecond) * 1000 : null;
  const alone = (name: 'azurite' | 'cosmos') =>
    r.ceilingCpu[name] === null ? '' : ` (it used ${r.ceilingCpu[name]} cores alone)`;
  return [
    BEGIN,
    '## The pipeline end to end (`npm run bench`)',
    '',
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC at commit \`${r.commit}\` with \`${r.command}\` on ${r.machine.cores} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; load average at the end ${r.machine.load.split(' ').slice(0, 3).join(' ')} (other suites share the machine). Dataset: ${r.dataset}.${r.warmupEvents ? ` Before the steps, ${r.warmupEvents.toLocaleString('en-US')} events ran through the whole pipeline as fast as it took them, unmeasured: a fresh functions host spends far more CPU per event than a warm one, and a deployed instance runs warm.` : ''} Producer -> gateway (every policy) -> functions host, \`http\` scale group (ingest) -> Azurite + Event Hubs emulator -> functions host, \`function:consume\` scale group (consume) -> Cosmos DB emulator, each in its own process as Flex Consumption runs each scale group on instances of its own; every figure below comes from this one run, so the ratios hold even though the absolute rates move with the machine's load.`,
    '',
    `![Stored throughput vs offered rate, and latency p50/p95/p99 vs offered rate](${chartFile})`,
    '',
    `### Goals (${met} of ${goals.length} met)`,
    '',
    '| goal | measured | verdict |',
    '| --- | --- | --- |',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${verdict(g.met)} |`),
    '',
    '### Stage ceilings (each stage alone, same run)',
    '',
    '| stage | events/s |',
    '| --- | --- |',
    ...stageCeilings(r.ceilings).map((c) => `| ${c.stage} | ${n(c.eventsPerSecond)} |`),
    '',
    `Azurite alone did ${n(r.ceilings.azuriteBlobPutsPerSecond)} blob PUTs/s${alone('azurite')} as ingest writes them (${STORE_CEILING.concurrency} in flight, after a ${STORE_CEILING.warmupSeconds} s warm-up, the best of ${STORE_CEILING.windows} windows of ${STORE_CEILING.seconds} s): one archive blob per request of ${PRODUCER.batchSize} of the dataset's events, NDJSON with each image replaced by its reference (images are stored once per content and then remembered by the HTTP functions process, so a request is one PUT at steady state); its ceiling counts ${PRODUCER.batchSize} events per PUT. Cosmos DB: ${n(r.ceilings.cosmosUpsertsPerSecond)} upserts/s${alone('cosmos')} of a slim-sized document one per request, as the Cosmos DB output binding writes (same settings; the issue-16 goal's reference), and ${n(r.ceilings.cosmosBulkDocumentsPerSecond)} documents/s in bulk requests of ${BULK_CEILING.perRequest}, ${BULK_CEILING.inFlight} in flight, as consume writes since HOST-10 (the stage above; on an emulator process of its own). Event Hubs: ${HUB_CEILING.events.toLocaleString('en-US')} slim-sized events on an emulator process of its own, sent in SDK batches of ${HUB_CEILING.batch} (${HUB_CEILING.sendsInFlight} in flight), then received by one subscriber. The HTTP ceilings use the steps' producer settings (${PRODUCER.batchSize} events per request, ${PRODUCER.concurrency} in flight, no pre-flight validation); the gateway runs the repository's policies unmodified, under the product's rate limit.`,
    '',
    '### Steps (offered rate rising until it saturates, then half the saturation rate)',
    '',
    '| step | offered events/s | accepted events/s | stored events/s | events | errors | p50 (ms) | p95 | p99 | max | machine busy (cores) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map(
      (s) =>
        `| ${stepName(s)} | ${s.offeredPerSecond ?? 'unlimited'} | ${s.acceptedPerSecond} | ${s.storedPerSecond} | ${s.events} | ${s.errors} | ${n(s.latencyMs.p50)} | ${n(s.latencyMs.p95)} | ${n(s.latencyMs.p99)} | ${n(s.latencyMs.max)} | ${s.machineBusyCores ?? '—'} |`,
    ),
    '',
    "Latency is accept (ingest's `ingestedAt`) -> the consumer writing the document (`storedAt`, stamped as it builds the batch it upserts in bulk), from the documents' own timestamps, nearest rank; every accepted event was then read back from Cosmos DB (stored = events means none missing). Stored events/s counts from the step's first send to its last `storedAt`. Machine busy: CPU seconds per second of every process on the host during the step, the neighbours' included.",
    '',
    '### Processes',
    '',
    '| process | peak RSS (MB) | CPU share over the steps | CPU share at saturation | CPU ms per stored event at saturation |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(r.processes).map(
      ([name, p]) =>
        `| ${name} | ${n(p.peakRssMb)} | ${p.cpuShare ?? '—'} | ${unlimited?.cpuShare[name] ?? '—'} | ${unlimited?.cpuMsPerStoredEvent?.[name] ?? '—'} |`,
    ),
    '',
    'CPU share is CPU seconds per wall second (1 = one core); `producer` is the bench process itself (it also polls the Event Hubs checkpoints of the consumer to know when a step is stored, then reads the documents of the step once for their timestamps).',
    ...(busy.length
      ? [
          '',
          `At saturation the pipeline's processes together used ${totalCpu.toFixed(2)} of ${r.machine.cores} cores${unlimited?.machineBusyCores == null ? '' : ` while the machine as a whole was busy ${unlimited.machineBusyCores} cores (the difference went to other workloads on the shared host)`}; busiest: ${busy
            .slice(0, 3)
            .map(([name, share]) => `${name} ${share}`)
            .join(', ')}.${
            cpuPerEventMs === null
              ? ''
              : ` That is ${cpuPerEventMs.toFixed(1)} ms of CPU per stored event across the pipeline's processes, so ${r.machine.cores} cores to themselves would bound it near ${n((r.machine.cores * 1000) / cpuPerEventMs)} events/s.`
          }`,
        ]
      : []),
    '',
    '### Ratios',
    '',
    `- Pipeline / slowest stage ceiling: **${r.ratios.pipelineOverSlowestCeiling}** (saturation ${n(saturationPerSecond(r.steps))} stored events/s; slowest stage: ${r.ratios.slowestStage}).`,
    `- Gateway / bare backend: **${r.ratios.gatewayOverBareBackend}** (${n(r.ceilings.gatewayOverBareEventsPerSecond)} vs ${n(r.ceilings.bareHttp202EventsPerSecond)} events/s, same producer settings, same bare 202 server).`,
    `- Hub bytes per event: **${r.ratios.hubBytesPerEvent}** (mean body of ${r.hub.events} slim events read back from the stack's hub; max ${r.hub.maxBodyBytes}).`,
    END,
  ].join('\n');
}

/** Replaces the marked section of the document, or appends it when the markers are absent. */
export function replaceSection(document: string, section: string): string {
  return replaceMarkedSection(document, section, BEGIN, END);
}
