/**
 * npm run load:spike — the 10x spike (k6/scenarios.ts `spike`) against a stack it starts: the
 * baseline rate for 20 s, ten times it for 20 s, the baseline again for 20 s, bulk OFREP on one
 * evaluator process. The load generator is a separate process (load-process.ts) with a raw
 * keep-alive client that costs a fraction of the server's work per request, so on two cores the
 * evaluator, not the client, is what the spike overloads; its CPU and the evaluator's are printed.
 *
 * Verdicts (issue 14): admitted (200) p99 < 50 ms; the excess answered 429 with Retry-After;
 * no 5xx and no unanswered request; latency back to the baseline's within 5 s of the spike's end
 * (spike-analysis.ts); 5 s after the run, the evaluator's heap in use after a full collection within 8 MB and its RSS
 * within 64 MB of what they were just before the spike. Exit code 1 when one fails. SPIKE_BASELINE_RPS overrides the baseline rate.
 * Last line: {"bench":"spike","metrics":{baseline_rps, spike_rps, admitted_p99_ms, errors_5xx,
 * shed_with_retry_after, recovery_s, rss_growth_mb}}.
 */
import { performance } from 'node:perf_hooks';
import { type ArrivalExecutor, scenarios } from '../../k6/scenarios.ts';

type RampingExecutor = Extract<ArrivalExecutor, { executor: 'ramping-arrival-rate' }>;
import { durationSeconds } from './arrival-schedule.ts';
import { forkLoad } from './fork-load.ts';
import { summarise } from './load-records.ts';
import { startLoadStack } from './load-target.ts';
import { cpuSeconds, rssMb } from './process-memory.ts';
import { rawOfrepRequests } from './request-shapes.ts';
import { analyseSpike, perSecond } from './spike-analysis.ts';

const log = (m: string) => process.stderr.write(`load:spike: ${m}\n`);
/**
 * What "no memory left behind" is held to. The heap in use after a full collection is the leak check; RSS also keeps
 * what V8 and the allocator grew under load and do not hand back at once (the young generation
 * grows to tens of MB at 8,000 requests/s), so it gets a looser bound (docs/performance.md, "Spike").
 */
const HEAP_GROWTH_LIMIT_MB = 8;
const RSS_GROWTH_LIMIT_MB = 64;
const RECOVERY_LIMIT_S = 5;
const SETTLE_MS = 5_000;

/** The scenario's executor with its rates scaled to `baseline` (SPIKE_BASELINE_RPS), else as defined. */
export function spikeExecutor(baselineOverride: string | undefined): RampingExecutor & { baseline: number } {
  const s = scenarios.spike;
  const baseline = baselineOverride === undefined ? s.startRate : Number(baselineOverride);
  if (!Number.isInteger(baseline) || baseline < 1 || baseline > 100_000)
    throw new Error(`SPIKE_BASELINE_RPS must be an integer in 1..100000, got ${JSON.stringify(baselineOverride)}`);
  const k = baseline / s.startRate;
  return {
    executor: 'ramping-arrival-rate',
    startRate: baseline,
    stages: s.stages.map((st) => ({ duration: st.duration, target: Math.round(st.target * k) })),
    preAllocatedVUs: s.preAllocatedVUs,
    maxVUs: s.maxVUs,
    baseline,
  };
}

async function main(): Promise<number> {
  const executor = spikeExecutor(process.env.SPIKE_BASELINE_RPS);
  // Phase boundaries from the stages: baseline, step up, spike, step down, baseline.
  const lengths = executor.stages.map((s) => durationSeconds(s.duration));
  const spikeStart = lengths[0]!;
  const spikeEnd = spikeStart + lengths[1]! + lengths[2]!;
  const end = lengths.reduce((a, b) => a + b, 0);
  // --expose-gc: the leak check reads the heap after a full collection (heapAfterGcMb).
  const target = await startLoadStack({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() });
  try {
    const url = new URL(target.evaluatorUrl);
    const pid = target.evaluatorPid!;
    const requests = rawOfrepRequests(scenarios.spike.request, url.host, target.sdkKey!).map((b) => b.toString());
    log(
      `baseline ${executor.baseline}/s for ${spikeStart} s, ${executor.baseline * 10}/s for ${spikeEnd - spikeStart} s, baseline ${end - spikeEnd} s`,
    );
    const heapBefore = { mb: undefined as number | undefined };
    let startedAt = Number.NaN;
    let rssBeforeSpike: number | undefined;
    let rssPeak = 0;
    let gcAsked = false;
    const sampler = setInterval(() => {
      const rss = rssMb(pid) ?? 0;
      rssPeak = Math.max(rssPeak, rss);
      const t = (performance.now() - startedAt) / 1000;
      if (t < spikeStart - 0.25) rssBeforeSpike = rss;
      // One full collection early in the baseline (warm by then), well before the spike's
      // latencies are compared with the baseline's.
      if (!gcAsked && t >= 5 && t < spikeStart - 3) {
        gcAsked = true;
        void heapAfterGcMb(target.evaluatorAdminUrl).then((mb) => (heapBefore.mb = mb));
      }
    }, 250);
    const cpu0 = cpuSeconds(pid) ?? 0;
    const result = await forkLoad(
      { host: url.hostname, port: Number(url.port), requests, executor, timeoutMs: 10_000, drainMs: 10_000 },
      () => {
        startedAt = performance.now();
      },
    );
    const serverCores = ((cpuSeconds(pid) ?? 0) - cpu0) / result.seconds;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    clearInterval(sampler);
    const rssAfter = rssMb(pid);
    const heapAfter = await heapAfterGcMb(target.evaluatorAdminUrl);
    const summary = summarise(result.records, result.seconds, result.dropped);
    const spike = analyseSpike(result.records, { spikeStart, spikeEnd, end });
    for (const row of perSecond(result.records, end)) log(`t=${row.t}s ${JSON.stringify(row)}`);
    const rssGrowth =
      rssAfter === undefined || rssBeforeSpike === undefined
        ? Number.NaN
        : Math.round((rssAfter - rssBeforeSpike) * 10) / 10;
    const detail = {
      ...spike,
      requests: summary.requests,
      status: summary.status,
      dropped_iterations: summary.dropped_iterations,
      network_errors: summary.network_errors,
      shed_without_retry_after: summary.shed_without_retry_after,
      all_p99_ms: summary.http_req_duration.p99,
      rss_before_spike_mb: rssBeforeSpike === undefined ? null : Math.round(rssBeforeSpike),
      rss_peak_mb: Math.round(rssPeak),
      rss_after_mb: rssAfter === undefined ? null : Math.round(rssAfter),
      heap_after_gc_before_spike_mb: heapBefore.mb ?? null,
      heap_after_gc_after_mb: heapAfter ?? null,
      evaluator_cpu_cores: Math.round(serverCores * 100) / 100,
      load_generator_cpu_cores: Math.round(result.cpuCores * 100) / 100,
      load_generator_max_connections: result.maxConnections,
    };
    console.log(JSON.stringify({ spike_detail: detail }));
    const failures = [
      spike.admitted_p99_ms < 50 ? undefined : `admitted p99 ${spike.admitted_p99_ms} ms (limit 50)`,
      summary.shed_with_retry_after > 0
        ? undefined
        : 'nothing was shed: the spike did not exceed what the evaluator admits',
      summary.shed_without_retry_after === 0
        ? undefined
        : `${summary.shed_without_retry_after} 429s without Retry-After`,
      summary.errors_5xx === 0 ? undefined : `${summary.errors_5xx} 5xx answers`,
      summary.network_errors === 0
        ? undefined
        : `${summary.network_errors} requests unanswered (connection error or 10 s timeout)`,
      spike.recovery_s >= 0 && spike.recovery_s <= RECOVERY_LIMIT_S
        ? undefined
        : `recovery ${spike.recovery_s} s (limit ${RECOVERY_LIMIT_S}; -1: never)`,
      rssGrowth <= RSS_GROWTH_LIMIT_MB
        ? undefined
        : `evaluator RSS grew ${rssGrowth} MB (limit ${RSS_GROWTH_LIMIT_MB})`,
      heapAfter !== undefined && heapBefore.mb !== undefined && heapAfter - heapBefore.mb <= HEAP_GROWTH_LIMIT_MB
        ? undefined
        : `evaluator heap in use after a full collection ${heapBefore.mb ?? '?'} -> ${heapAfter ?? '?'} MB (limit +${HEAP_GROWTH_LIMIT_MB})`,
    ].filter((f) => f !== undefined);
    for (const f of failures) log(`NOT MET: ${f}`);
    if (failures.length === 0) log('every spike criterion met');
    console.log(
      JSON.stringify({
        bench: 'spike',
        metrics: {
          baseline_rps: spike.baseline_rps,
          spike_rps: spike.spike_rps,
          admitted_p99_ms: spike.admitted_p99_ms,
          errors_5xx: summary.errors_5xx,
          shed_with_retry_after: summary.shed_with_retry_after,
          recovery_s: spike.recovery_s,
          rss_growth_mb: rssGrowth,
        },
      }),
    );
    return failures.length === 0 ? 0 : 1;
  } finally {
    await target.stop();
  }
}

/**
 * The evaluator's heap in use right after a full collection (`POST /debug/gc` on its admin
 * listener; the stack's processes run with --expose-gc), MB: what is retained, without the
 * garbage a spike leaves for V8 to collect when it likes (the young generation alone grows to
 * tens of MB at 8,000 requests/s).
 */
async function heapAfterGcMb(adminUrl: string | undefined): Promise<number | undefined> {
  if (adminUrl === undefined) return undefined;
  try {
    const r = await fetch(`${adminUrl}/debug/gc`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
    if (r.status !== 200) return undefined;
    const { heapUsedBytes } = (await r.json()) as { heapUsedBytes: number };
    return Math.round((heapUsedBytes / 1024 / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(String((error as Error)?.stack ?? error));
    process.exit(2);
  },
);
