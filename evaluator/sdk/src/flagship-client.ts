/**
 * The in-process SDK (docs/sdk.md): evaluates flags with the engine from a local copy of the
 * environment's snapshot, kept current by the evaluators' event stream, so an evaluation is a
 * function call, not a network hop. The evaluation API is synchronous and total: whatever goes
 * wrong (no snapshot yet, an unknown flag, a type mismatch, a hostile context) answers the
 * caller's code default with an error code, never a throw.
 */
import {
  compileSnapshot,
  snapshotJsonInSlices,
  contextProblem,
  type Engine,
  type EvaluationContext,
  type EvaluationResult,
  type FlagMetadata,
  type FlagType,
  type JsonObject,
  type Snapshot,
} from '@flagship/evaluator';
import { DEFAULT_BACKOFF, type BackoffOptions } from './internal/backoff.ts';
import { CountTotals, EngineCounts, type CountSlot, type CountTotal } from './internal/evaluation-counts.ts';
import type { EvaluatorRequestError } from './internal/evaluator-http.ts';
import { readLastKnownGood, writeLastKnownGood } from './internal/last-known-good.ts';
import { changedFlagKeys, unconfirmedView } from './internal/snapshot-changes.ts';
import { applySdkDelta, isDeltaDocument } from './internal/snapshot-delta-apply.ts';
import { compileChecked } from './internal/snapshot-shape.ts';
import { SnapshotSync, type ApplyRefusal, type SyncCounts } from './internal/snapshot-sync.ts';

/** How to reach the evaluators, and what to do without them. */
export interface FlagshipClientOptions {
  /** Evaluator base URLs (`http://evaluator-1:4100`), tried in order, failed over in turn. */
  evaluators: string[];
  /** A server-side SDK key of the environment (never a client key: it cannot read snapshots). */
  sdkKey: string;
  /** Keep the last snapshot here and start from it (docs/sdk.md, "Last-known-good file"). */
  lastKnownGoodFile?: string;
  /** Per snapshot fetch (default 5 s). */
  fetchTimeoutMs?: number;
  /** A stream with nothing received for this long is dead (default 45 s: three evaluator heartbeats). */
  streamIdleTimeoutMs?: number;
  /** A conditional fetch this often even while the stream is quiet, healing a missed event (default 60 s). */
  checkIntervalMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Where the SDK reports what it cannot throw (a bad file, a refused snapshot). Default: console.warn. */
  logger?: { warn(message: string): void };
  /** Do not connect: serve the last-known-good file only (tests, benchmarks, a frozen deployment). */
  offline?: boolean;
}

/**
 * - NOT_READY: no snapshot yet;
 * - READY: serving a snapshot an evaluator confirmed, and following its stream;
 * - STALE: serving a snapshot, but no evaluator could be reached since (or the file, unconfirmed);
 * - ERROR: no snapshot, and every evaluator failed (or refused the key).
 */
export type ClientStatus = 'NOT_READY' | 'READY' | 'STALE' | 'ERROR';

/** Reasons the SDK answers with: the engine's, and ERROR for code defaults. */
export type SdkReason = EvaluationResult['reason'];
/** The engine's error codes, plus PROVIDER_NOT_READY (no snapshot at all). */
export type SdkErrorCode = NonNullable<EvaluationResult['errorCode']> | 'PROVIDER_NOT_READY';

/** One evaluation with its explanation (OpenFeature's evaluation details). */
export interface FlagDetails<T> {
  readonly key: string;
  readonly value: T;
  readonly variant: string | undefined;
  readonly reason: SdkReason;
  readonly errorCode?: SdkErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata: FlagMetadata | Record<string, never>;
}

/** What the client tells its listeners. */
export interface ClientEvents {
  /** Became READY (first time, or again after STALE/ERROR). */
  ready: { version: number };
  /** A new snapshot was swapped in; `flagKeys`: the flags it added, removed or changed. */
  changed: { version: number; flagKeys: string[] };
  /** Serving a snapshot, no evaluator reachable. */
  stale: { message: string };
  /** No snapshot and no evaluator, or an evaluator refused the key. */
  error: { message: string; fatal: boolean };
}

type Listener<E extends keyof ClientEvents> = (event: ClientEvents[E]) => void;

interface Served {
  readonly engine: Engine;
  readonly counts: EngineCounts;
  /** The engine's context-independent answers, each with its count slot (see `value`). */
  readonly fixed: ReadonlyMap<string, FixedServed>;
  /** The snapshot as validated (the unconfirmed view is compiled from it, never stored). */
  readonly snapshot: Snapshot;
  readonly etag: string;
  /** False while it is the last-known-good file's, not yet confirmed by an evaluator (fail modes apply). */
  readonly live: boolean;
}

/** A flag whose answer does not depend on the context: its type, the engine's shared result, and where it counts. */
interface FixedServed {
  readonly type: FlagType;
  readonly result: EvaluationResult;
  readonly slot: CountSlot;
}

/** A delta the last-known-good file holds: its JSON, and the ETag of the state it made. */
interface FileDelta {
  readonly etag: string;
  readonly json: string;
}

/** Deltas the last-known-good file holds before the next one makes a new base. */
const FILE_DELTAS_MAX = 100;

/**
 * The snapshot's JSON, built in slices on setImmediate; the entries are listed now, so the JSON
 * is the snapshot as it is now, whatever deltas are applied in place meanwhile.
 */
function jsonSoon(snapshot: Snapshot): string | Promise<string> {
  const steps = snapshotJsonInSlices(snapshot);
  let step = steps.next();
  if (step.done) return step.value;
  return (async () => {
    while (!step.done) {
      await new Promise((resolve) => setImmediate(resolve));
      step = steps.next();
    }
    return step.value;
  })();
}

const EMPTY_CONTEXT: EvaluationContext = Object.freeze({});
const NO_METADATA: Record<string, never> = Object.freeze({});

export class FlagshipClient {
  private served: Served | undefined;
  /** Counts of evaluations answered with no snapshot. */
  private readonly idleCounts = new EngineCounts(undefined);
  private readonly totals = new CountTotals();
  private state: ClientStatus = 'NOT_READY';
  private readonly listeners = new Map<keyof ClientEvents, Set<Listener<never>>>();
  private readonly sync: SnapshotSync | undefined;
  private readonly warn: (message: string) => void;
  private writing: Promise<void> = Promise.resolve();
  /**
   * What the last-known-good file is to hold: the last full snapshot's JSON (built in slices when
   * it is a rebase) and the deltas since. Undefined until something was served from an evaluator.
   */
  private fileContent: { base: string | Promise<string>; baseEtag: string; deltas: FileDelta[] } | undefined;
  /** A write of the file is queued and has not read fileContent yet (it writes the newest then). */
  private saveQueued = false;
  private closed = false;

  constructor(private readonly o: FlagshipClientOptions) {
    this.warn = o.logger ? (m) => o.logger!.warn(m) : (m) => console.warn(`flagship sdk: ${m}`);
    if (o.evaluators.length === 0 && o.offline !== true)
      throw new TypeError('evaluators: give at least one evaluator URL');
    for (const url of o.evaluators) {
      if (!URL.canParse(url)) throw new TypeError(`evaluators: ${JSON.stringify(url)} is not a URL`);
    }
    if (o.lastKnownGoodFile !== undefined) this.loadFile(o.lastKnownGoodFile);
    if (o.offline === true) return;
    this.sync = new SnapshotSync(
      {
        evaluators: o.evaluators,
        sdkKey: o.sdkKey,
        fetchTimeoutMs: o.fetchTimeoutMs ?? 5000,
        streamIdleMs: o.streamIdleTimeoutMs ?? 45_000,
        checkIntervalMs: o.checkIntervalMs ?? 60_000,
        backoff: { ...DEFAULT_BACKOFF, ...o.backoff },
      },
      {
        etag: () => this.served?.etag,
        version: () => this.served?.snapshot.version,
        apply: (body, etag) => this.apply(body, etag),
        deltaRefused: (problem) => this.warn(`refused a delta (${problem}); fetching the full snapshot`),
        confirmed: () => this.confirmed(),
        unreachable: (error) => this.unreachable(error),
      },
    );
    this.sync.start();
  }

  /** Where the client is (see {@link ClientStatus}). */
  get status(): ClientStatus {
    return this.state;
  }

  /** The version of the snapshot served now, or undefined before the first. */
  get version(): number | undefined {
    return this.served?.engine.version;
  }

  /** The environment of the snapshot served now. */
  get environment(): string | undefined {
    return this.served?.engine.environment;
  }

  /** What the client fetched from the evaluators since start: fetches with and without `?since=`, refused deltas. */
  get syncCounts(): Readonly<SyncCounts> {
    return this.sync?.counts ?? { sinceFetches: 0, fullFetches: 0, refusedDeltas: 0 };
  }

  /** Resolves true once READY, false if `timeoutMs` passes first (it still serves what it has). Never rejects. */
  waitForReady(timeoutMs: number): Promise<boolean> {
    if (this.state === 'READY') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const off = this.on('ready', () => {
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /** Adds a listener; returns its removal. */
  on<E extends keyof ClientEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  getBooleanValue(flagKey: string, defaultValue: boolean, context?: EvaluationContext): boolean {
    return this.value(flagKey, 'boolean', defaultValue, context);
  }
  getStringValue(flagKey: string, defaultValue: string, context?: EvaluationContext): string {
    return this.value(flagKey, 'string', defaultValue, context);
  }
  getNumberValue(flagKey: string, defaultValue: number, context?: EvaluationContext): number {
    return this.value(flagKey, 'number', defaultValue, context);
  }
  /** The value is shared by every caller: do not mutate it. */
  getObjectValue<T extends JsonObject = JsonObject>(flagKey: string, defaultValue: T, context?: EvaluationContext): T {
    return this.value(flagKey, 'object', defaultValue, context);
  }

  getBooleanDetails(flagKey: string, defaultValue: boolean, context?: EvaluationContext): FlagDetails<boolean> {
    return this.details(flagKey, 'boolean', defaultValue, context);
  }
  getStringDetails(flagKey: string, defaultValue: string, context?: EvaluationContext): FlagDetails<string> {
    return this.details(flagKey, 'string', defaultValue, context);
  }
  getNumberDetails(flagKey: string, defaultValue: number, context?: EvaluationContext): FlagDetails<number> {
    return this.details(flagKey, 'number', defaultValue, context);
  }
  getObjectDetails<T extends JsonObject = JsonObject>(
    flagKey: string,
    defaultValue: T,
    context?: EvaluationContext,
  ): FlagDetails<T> {
    return this.details(flagKey, 'object', defaultValue, context);
  }

  /** Every flag of the snapshot for one context, in key order (none before the first snapshot). */
  allFlags(context?: EvaluationContext): ReadonlyArray<FlagDetails<unknown>> {
    const served = this.served;
    if (served === undefined) return [];
    try {
      const results = served.engine.evaluateAll(context ?? EMPTY_CONTEXT);
      for (let i = 0; i < results.length; i++) served.counts.count(results[i]!);
      return results;
    } catch (e) {
      this.warn(`allFlags threw (${(e as Error).message}); answered no flags`);
      return [];
    }
  }

  /** Evaluation counts since start, per series (what `registerMetrics` exports). */
  evaluationCounts(): readonly CountTotal[] {
    const served = this.served;
    if (served !== undefined) this.totals.fold(served.engine.environment, served.counts);
    this.totals.fold(served?.engine.environment ?? '', this.idleCounts);
    return this.totals.values();
  }

  /** Stops following the evaluators; evaluation keeps answering from the last snapshot. */
  async close(): Promise<void> {
    this.closed = true;
    this.sync?.close();
    await this.writing;
  }

  // The hot path: one field read, one engine call, one count. A successful result already has the
  // asked type (the engine checked `expectedType`), so its value is returned as is. A flag whose
  // answer does not depend on the context (most flags: on, off, killed) is answered from the
  // engine's fixed answers with its slot at hand, after the same type and context checks the
  // engine makes: the engine's own result, one lookup and one increment (bench:sdk, static).
  private value<T>(flagKey: string, type: FlagType, defaultValue: T, context: EvaluationContext | undefined): T {
    const served = this.served;
    if (served === undefined) {
      this.idleCounts.countNotReady();
      return defaultValue;
    }
    try {
      const ctx = context ?? EMPTY_CONTEXT;
      const fixed = served.fixed.get(flagKey);
      if (fixed !== undefined && fixed.type === type && contextProblem(ctx) === undefined) {
        fixed.slot.count++;
        return fixed.result.value as T;
      }
      const result = served.engine.evaluate(flagKey, ctx, type);
      served.counts.count(result);
      return result.reason === 'ERROR' ? defaultValue : (result.value as T);
    } catch {
      // The engine is total on plain data; a context whose getters throw is the caller's to fix.
      return defaultValue;
    }
  }

  private details<T>(
    flagKey: string,
    type: FlagType,
    defaultValue: T,
    context: EvaluationContext | undefined,
  ): FlagDetails<T> {
    const served = this.served;
    if (served === undefined) {
      this.idleCounts.countNotReady();
      return errorDetails(flagKey, defaultValue, 'PROVIDER_NOT_READY', 'no snapshot yet', NO_METADATA);
    }
    try {
      const result = served.engine.evaluate(flagKey, context ?? EMPTY_CONTEXT, type);
      served.counts.count(result);
      if (result.reason !== 'ERROR') return result as FlagDetails<T>;
      return errorDetails(
        flagKey,
        defaultValue,
        result.errorCode ?? 'GENERAL',
        result.errorMessage,
        result.flagMetadata,
      );
    } catch (e) {
      return errorDetails(flagKey, defaultValue, 'GENERAL', `evaluation threw: ${(e as Error).message}`, NO_METADATA);
    }
  }

  private loadFile(path: string): void {
    const { value, problem } = readLastKnownGood(path);
    if (problem !== undefined) this.warn(`last-known-good file not used: ${problem}`);
    if (value === undefined) return;
    // Unconfirmed until an evaluator serves the same ETag: fail modes apply (docs/sdk.md, "Fail modes").
    this.swap(value.snapshot, value.etag, unconfirmedView(value.snapshot), false);
    this.setState('STALE', {
      message: `serving ${path} (version ${value.snapshot.version}) until an evaluator answers`,
    });
  }

  private apply(body: string | object, etag: string): ApplyRefusal | undefined {
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body);
      } catch (e) {
        return { problem: `the answer is not JSON: ${(e as Error).message}`, delta: false };
      }
    }
    if (isDeltaDocument(parsed)) {
      const applied = applySdkDelta(this.served, parsed, etag);
      if ('problem' in applied) return { problem: applied.problem, delta: true };
      this.swap(applied.snapshot, etag, applied.snapshot, true, applied.engine, applied.flagKeys);
      this.saveDelta(applied.snapshot, etag, typeof body === 'string' ? body : JSON.stringify(parsed));
      return undefined;
    }
    // Versions only move forward: a fetch answered after a newer inline event, or an evaluator
    // that lags the one followed before a failover, must not take the client back.
    const held = this.served;
    const version = (parsed as { version?: unknown } | null)?.version;
    if (held?.live === true && typeof version === 'number' && version < held.engine.version) return undefined;
    const checked = compileChecked(parsed);
    if ('problem' in checked)
      return {
        problem: `the snapshot cannot be served (${checked.problem}); kept version ${this.version ?? 'none'}`,
        delta: false,
      };
    this.swap(checked.snapshot, etag, checked.snapshot, true, checked.engine);
    if (this.o.lastKnownGoodFile !== undefined) {
      // Inline snapshots (objects) are small: only those are serialised again.
      this.fileContent = { base: typeof body === 'string' ? body : JSON.stringify(parsed), baseEtag: etag, deltas: [] };
      this.save();
    }
    return undefined;
  }

  /**
   * A delta for the last-known-good file: appended to what it holds, or, past FILE_DELTAS_MAX
   * deltas (or with no base from an evaluator yet), a new base: the held snapshot's JSON, built
   * in slices between evaluations (model/snapshot-json.ts).
   */
  private saveDelta(snapshot: Snapshot, etag: string, json: string): void {
    if (this.o.lastKnownGoodFile === undefined) return;
    const content = this.fileContent;
    if (content !== undefined && content.deltas.length < FILE_DELTAS_MAX) content.deltas.push({ etag, json });
    else this.fileContent = { base: jsonSoon(snapshot), baseEtag: etag, deltas: [] };
    this.save();
  }

  /**
   * Queues a write of the last-known-good file. Writes run one at a time, and a write takes what
   * the file is to hold when it starts, so changes faster than the disk write the latest only.
   */
  private save(): void {
    const file = this.o.lastKnownGoodFile;
    if (file === undefined || this.saveQueued) return;
    this.saveQueued = true;
    this.writing = this.writing
      .then(async () => {
        this.saveQueued = false;
        const content = this.fileContent;
        if (content === undefined) return;
        const deltas = [...content.deltas];
        await writeLastKnownGood(file, { base: await content.base, baseEtag: content.baseEtag, deltas }, Date.now());
      })
      .catch((e: Error) => this.warn(`cannot write the last-known-good file ${file}: ${e.message}`));
  }

  /** Swaps the compiled engine in one assignment: an evaluation sees the old engine or the new one, never a mix. */
  private swap(
    snapshot: Snapshot,
    etag: string,
    view: Snapshot,
    announce: boolean,
    compiled?: Engine,
    flagKeys?: string[],
  ): void {
    const before = this.served;
    const engine = compiled ?? compileSnapshot(view);
    const counts = new EngineCounts(engine);
    const fixed = new Map<string, FixedServed>();
    for (const [key, a] of engine.fixedAnswers)
      fixed.set(key, { type: a.type, result: a.result, slot: counts.slotFor(a.result) });
    this.served = { engine, counts, fixed, snapshot, etag, live: view === snapshot };
    if (before !== undefined) this.totals.fold(before.engine.environment, before.counts);
    if (announce)
      this.emit('changed', {
        version: snapshot.version,
        flagKeys: flagKeys ?? changedFlagKeys(before?.snapshot, snapshot),
      });
  }

  private confirmed(): void {
    const served = this.served;
    if (served === undefined) return;
    // The file's snapshot is what the evaluator serves (304): serve it live now, fail modes lifted.
    if (!served.live) this.swap(served.snapshot, served.etag, served.snapshot, false);
    this.setState('READY', { version: served.engine.version });
  }

  private unreachable(error: EvaluatorRequestError): void {
    if (this.closed) return;
    if (error.fatal) this.emit('error', { message: error.message, fatal: true });
    if (this.served !== undefined) this.setState('STALE', { message: error.message });
    else this.setState('ERROR', { message: error.message, fatal: error.fatal });
  }

  private setState<S extends 'READY' | 'STALE' | 'ERROR'>(
    state: S,
    event: ClientEvents[S extends 'READY' ? 'ready' : S extends 'STALE' ? 'stale' : 'error'],
  ): void {
    if (this.state === state) return;
    this.state = state;
    this.emit(state === 'READY' ? 'ready' : state === 'STALE' ? 'stale' : 'error', event);
  }

  private emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (e) {
        this.warn(`a ${event} listener threw: ${(e as Error).message}`);
      }
    }
  }
}

function errorDetails<T>(
  key: string,
  value: T,
  errorCode: SdkErrorCode,
  errorMessage: string | undefined,
  flagMetadata: FlagMetadata | Record<string, never>,
): FlagDetails<T> {
  return { key, value, variant: undefined, reason: 'ERROR', errorCode, errorMessage, flagMetadata };
}
