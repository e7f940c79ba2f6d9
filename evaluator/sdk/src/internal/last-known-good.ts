/**
 * The last-known-good file: the last snapshot an evaluator served this SDK, so a service that
 * restarts while no evaluator is reachable still serves its flags (docs/sdk.md,
 * "Last-known-good file"). Written atomically (a temporary file renamed over the old one) so a
 * crash mid-write never leaves half a snapshot; read once, synchronously, at start.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Snapshot } from '@flagship/evaluator';
import { compileChecked } from './snapshot-shape.ts';

/** The file's content. */
interface SavedSnapshot {
  etag: string;
  /** Epoch ms when the SDK received it. */
  savedAt: number;
  snapshot: unknown;
}

/** What a readable file held. */
export interface LastKnownGood {
  snapshot: Snapshot;
  etag: string;
  savedAt: number;
}

/** The file's snapshot, or why there is none (no file is not an error: `undefined` problem). */
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
  return { value: { snapshot: checked.snapshot, etag: String(saved.etag ?? ''), savedAt: Number(saved.savedAt) || 0 } };
}

/** Replaces the file with this snapshot, atomically. `snapshotJson` is the body as served. */
export async function writeLastKnownGood(
  path: string,
  snapshotJson: string,
  etag: string,
  savedAt: number,
): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  // The served body is spliced in as is: no second serialisation of a 5 MB snapshot.
  await writeFile(temporary, `{"etag":${JSON.stringify(etag)},"savedAt":${savedAt},"snapshot":${snapshotJson}}`);
  await rename(temporary, path);
}
