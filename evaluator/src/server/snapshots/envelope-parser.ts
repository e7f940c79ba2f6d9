/**
 * Parses a full envelope without blocking the event loop for long (docs/architecture.md,
 * "Deltas"): `JSON.parse` of a 10,000-flag envelope (about 5 MB) takes 30-60 ms here, long
 * enough to stall every request queued behind it. A worker thread parses it and hands back the
 * envelope without its flags plus each flag as its own JSON text; this thread then parses the
 * flags a slice at a time between turns of the event loop. Strings cross threads as one copy;
 * an object graph would be re-created here by the structured clone, costing about what the parse
 * did. Without a worker (it failed to start, or died), envelopes are parsed here, at once.
 */
import { Worker } from 'node:worker_threads';
import type { SnapshotEnvelope } from '../../propagation/index.ts';

/** Flags parsed per turn of the event loop (each about 0.5 KB: well under a millisecond a slice). */
const FLAGS_PER_SLICE = 500;

/** Plain JavaScript: the worker runs with no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, raw }) => {
  try {
    const envelope = JSON.parse(raw);
    const flags = envelope && envelope.snapshot && envelope.snapshot.flags;
    if (typeof flags !== 'object' || flags === null || Array.isArray(flags)) {
      parentPort.postMessage({ id, head: raw, keys: [], parts: [] });
      return;
    }
    const keys = Object.keys(flags);
    const parts = keys.map((k) => JSON.stringify(flags[k]));
    envelope.snapshot.flags = {};
    parentPort.postMessage({ id, head: JSON.stringify(envelope), keys, parts });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message ? e.message : e) });
  }
});
`;

interface Reply {
  id: number;
  head?: string;
  keys?: string[];
  parts?: string[];
  error?: string;
}

/** One worker thread, started on first use, shared by every parse of the process. */
export class EnvelopeParser {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  /** Envelopes smaller than this are parsed at once: a worker round trip costs more than they do. */
  constructor(private readonly offThreadMinChars = 256 * 1024) {}

  /** The parsed envelope; rejects on invalid JSON, as JSON.parse throws. */
  async parse(raw: string): Promise<SnapshotEnvelope> {
    if (raw.length < this.offThreadMinChars || this.broken) return JSON.parse(raw) as SnapshotEnvelope;
    let reply: Reply;
    try {
      reply = await this.send(raw);
    } catch {
      return JSON.parse(raw) as SnapshotEnvelope;
    }
    if (reply.error !== undefined) throw new SyntaxError(reply.error);
    const envelope = JSON.parse(reply.head!) as SnapshotEnvelope;
    const keys = reply.keys!;
    const parts = reply.parts!;
    if (keys.length === 0) return envelope;
    const flags: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      flags[keys[i]!] = JSON.parse(parts[i]!);
      if ((i + 1) % FLAGS_PER_SLICE === 0) await new Promise((r) => setImmediate(r));
    }
    (envelope.snapshot as { flags: unknown }).flags = flags;
    return envelope;
  }

  /** Stops the worker (pending parses fall back to this thread). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.broken = true;
    if (w !== undefined) await w.terminate();
  }

  private send(raw: string): Promise<Reply> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, raw });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      w?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.broken = true;
      this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`envelope parser exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
