/**
 * An engine as the server serves it: the compiled engine plus, per frozen result it returns, the
 * result's OFREP JSON fragment, HTTP status, a content hash for bulk ETags and what counting it
 * takes. Results are shared objects (one per outcome), so a response is string concatenation and
 * counting an evaluation is an increment or two; nothing is serialised or allocated per request.
 *
 * Counts are kept so their Prometheus series stay bounded at design scale (docs/operations.md,
 * "Exposure counts"): every evaluation in a per-view array indexed by reason label, and per
 * variant only for the flags the snapshot marks trackExposures.
 */
import type { Engine } from '../../engine/engine.ts';
import type { EvaluationResult } from '../../model/result.ts';
import { ERROR_STATUS } from './error-status.ts';
import { REASON_LABELS, reasonIndex, reasonLabel } from './reason-labels.ts';

/** What the server knows about one result object. */
export interface ResultInfo {
  /** The OFREP entry: success `{key,value,reason,variant,metadata}` or error `{key,errorCode,errorDetails}`. */
  readonly json: string;
  /** UTF-8 byte length of `json`. */
  readonly bytes: number;
  /** `json` as UTF-8 bytes: bulk bodies are assembled by copying these, with no string flattening or encoding. */
  readonly utf8: Buffer;
  /** HTTP status of a single-flag answer. */
  readonly status: number;
  /** Two independent 32-bit hashes of `json`, folded into bulk ETags. */
  readonly h1: number;
  readonly h2: number;
  readonly flag: string;
  readonly variant: string;
  readonly reason: string;
  /** Index of `reason` in {@link REASON_LABELS}. */
  readonly reasonIndex: number;
  /** A variant served of a flag the snapshot marks trackExposures: counted per variant in `count`. */
  readonly exposure: boolean;
  /** Exposures since the metrics last harvested this info (always 0 unless `exposure`). */
  count: number;
}

/** The OFREP JSON of one result. */
export function ofrepJson(result: EvaluationResult): string {
  if (result.reason === 'ERROR') {
    return JSON.stringify({
      key: result.key,
      errorCode: result.errorCode ?? 'GENERAL',
      errorDetails: result.errorMessage ?? '',
    });
  }
  return JSON.stringify({
    key: result.key,
    value: result.value,
    reason: result.reason,
    variant: result.variant,
    metadata: result.flagMetadata,
  });
}

/**
 * Builds the info of a result (once per result object and engine view); `tracked` says whether
 * the result's flag is counted per variant.
 */
export function makeResultInfo(result: EvaluationResult, tracked = false): ResultInfo {
  const json = ofrepJson(result);
  let h1 = 0x811c9dc5;
  let h2 = 5381;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = (Math.imul(h2, 33) + c) | 0;
  }
  const utf8 = Buffer.from(json);
  return {
    json,
    bytes: utf8.length,
    utf8,
    status: result.reason === 'ERROR' ? ERROR_STATUS[result.errorCode ?? 'GENERAL'] : 200,
    h1: h1 >>> 0,
    h2: h2 >>> 0,
    flag: result.key,
    variant: result.variant ?? '',
    reason: reasonLabel(result),
    reasonIndex: reasonIndex(result),
    // An error serves no variant: it is no exposure, whatever the flag.
    exposure: tracked && result.reason !== 'ERROR',
    count: 0,
  };
}

/** One compiled engine of one environment, with its result infos. Immutable except for counts. */
export class EngineView {
  /** Results the engine precomputes (every success and most errors): safe to key a Map by. */
  readonly infos = new Map<EvaluationResult, ResultInfo>();
  /** The infos of {@link infos} that count exposures: what the metrics harvest per variant. */
  readonly exposureInfos: ResultInfo[] = [];
  /**
   * Evaluations since the metrics last harvested this view, indexed like {@link REASON_LABELS}:
   * every evaluation, of a tracked flag, an untracked one or a key the snapshot lacks.
   */
  readonly reasonCounts = new Float64Array(REASON_LABELS.length);

  constructor(
    readonly engine: Engine,
    readonly environment: string,
    readonly version: number,
    /** Flags served as DISABLED by an emergency kill on top of the snapshot. */
    readonly killed: readonly string[],
  ) {}

  /** The info of a result this engine returned. */
  info(result: EvaluationResult): ResultInfo {
    let info = this.infos.get(result);
    if (info !== undefined) return info;
    info = makeResultInfo(result, this.engine.exposureTracked.has(result.key));
    const code = result.errorCode;
    // FLAG_NOT_FOUND and INVALID_CONTEXT results are allocated per call: caching them would leak.
    if (code !== 'FLAG_NOT_FOUND' && code !== 'INVALID_CONTEXT') {
      this.infos.set(result, info);
      if (info.exposure) this.exposureInfos.push(info);
    }
    return info;
  }

  /** Counts one evaluation that answered `info`: no allocation, whatever the flag. */
  count(info: ResultInfo): void {
    this.reasonCounts[info.reasonIndex]!++;
    if (info.exposure) info.count++;
  }
}
