/**
 * The last-known-good file: the last snapshot an evaluator served this SDK, so a service that
 * restarts while no evaluator is reachable still serves its flags (docs/sdk.md,
 * "Last-known-good file"). Written atomically (a temporary file renamed over the old one) so a
 * crash mid-write never leaves half a snapshot; read once, synchronously, at start.
 *
 * It holds a full snapshot as an evaluator served it and the deltas applied onto it since, each
 * with the ETag of the state it made: a change rewrites the file from strings the SDK already
 * has, never serialising a 10,000-flag snapshot on the event loop (~70 ms). Files of the first
 * format (a snapshot alone) are read as a snapshot with no deltas.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { applyDelta, deltaShapeProblem, type Snapshot, type SnapshotDelta } from '@flagship/evaluator';
import { compileChecked } from './snapshot-shape.ts';

/**
 * The file's content. `etag` and `snapshot` are the base's, as in the first format, so an SDK
 * that knows only that format loads a consistent (older) state and asks an evaluator for newer.
 */
interface SavedSnapshot {
  /** The ETag the base snapshot was served with. */
  etag: string;
  /** Epoch ms when the SDK received it. */
  savedAt: number;
  snapshot: unknown;
  /** Absent in the first format. */
  deltas?: Array<{ etag?: unknown; delta?: unknown }>;
}

/** What a readable file held. */
export interface LastKnownGood {
  snapshot: Snapshot;
  etag: string;
  savedAt: number;
}

/** What the SDK writes: the base snapshot's JSON as served, and the deltas' JSON since, oldest first. */
export interface LastKnownGoodContent {
  base: string;
  baseEtag: string;
  deltas: ReadonlyArray<{ etag: string; json: string }>;
}

/**
 * The file's snapshot, or why there is none (no file is not an error: `undefined` problem). The
 * deltas are applied in order as far as they chain onto the base; the ETag is the last applied one's.
 */
export function readLastKnownGood(path: string): { value?: LastKnownGood; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read ${path}: ${(e as Error).message}` };
  }
  let saved: SavedSnapshot;
  try {
    saved = JSON.parse(text) as SavedSnapshot;
  } catch (e) {
    return { problem: `${path} is not JSON: ${(e as Error).message}` };
  }
  const checked = compileChecked(saved?.snapshot);
  if ('problem' in checked) return { problem: `${path} holds no usable snapshot: ${checked.problem}` };
  const deltas = Array.isArray(saved.deltas) ? saved.deltas : [];
  let snapshot = checked.snapshot;
  let etag = String(saved.etag ?? '');
  for (const entry of deltas) {
    if (deltaShapeProblem(entry?.delta) !== undefined || typeof entry.etag !== 'string') break;
    try {
      snapshot = applyDelta(snapshot, entry.delta as SnapshotDelta);
    } catch {
      break;
    }
    etag = entry.etag;
  }
  if (snapshot !== checked.snapshot) {
    const compiled = compileChecked(snapshot);
    if ('problem' in compiled) return { problem: `${path}: its deltas make no usable snapshot: ${compiled.problem}` };
  }
  return { value: { snapshot, etag, savedAt: Number(saved.savedAt) || 0 } };
}

/** Replaces the file with this content, atomically. The JSON strings are spliced in as they are. */
export async function writeLastKnownGood(path: string, content: LastKnownGoodContent, savedAt: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const deltas = content.deltas.map((d) => `{"etag":${JSON.stringify(d.etag)},"delta":${d.json}}`).join(',');
  await writeFile(
    temporary,
    `{"etag":${JSON.stringify(content.baseEtag)},"savedAt":${savedAt},"deltas":[${deltas}],"snapshot":${content.base}}`,
  );
  await rename(temporary, path);
}
