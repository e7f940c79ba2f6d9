/**
 * A snapshot's JSON built entry by entry, so a server or an SDK can build the ~5 MB document of a
 * 10,000-flag environment between requests instead of in one 30-70 ms `JSON.stringify`, and
 * build it again after a delta for the cost of what the delta touched: each flag's and segment's
 * JSON is kept per definition object, and a delta leaves untouched definitions as they were
 * (applyDeltaInPlace), so they are not serialised again. Browser-safe.
 */
import type { Snapshot } from './flag.ts';

/** Entry JSON by definition object: definitions are never changed, only replaced. */
const entryJson = new WeakMap<object, string>();

function entry(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  let json = entryJson.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    entryJson.set(value, json);
  }
  return json;
}

/**
 * The JSON of `snapshot` (what `JSON.stringify(snapshot)` gives, fields in the same order), as a
 * generator that yields after every `sliceSize` entries it had to serialise (entries already
 * known cost no slice). The returned value is the JSON.
 */
export function* snapshotJsonInSlices(snapshot: Snapshot, sliceSize = 500): Generator<void, string, void> {
  // Every entry is listed before the first yield: the JSON is the snapshot as it was when the
  // build began, even when its flags and segments objects are changed in place meanwhile.
  const listed = Object.entries(snapshot as unknown as Record<string, unknown>).map(([field, value]) => ({
    field,
    value,
    entries:
      (field === 'flags' || field === 'segments') && typeof value === 'object' && value !== null
        ? Object.entries(value as Record<string, unknown>)
        : undefined,
  }));
  const fields: string[] = [];
  let serialised = 0;
  for (const { field, value, entries: listedEntries } of listed) {
    if (value === undefined || typeof value === 'function') continue;
    if (listedEntries === undefined) {
      fields.push(`${JSON.stringify(field)}:${JSON.stringify(value)}`);
      continue;
    }
    const entries: string[] = [];
    for (const [key, definition] of listedEntries) {
      if (definition === undefined) continue;
      if (typeof definition === 'object' && definition !== null && !entryJson.has(definition)) {
        if (++serialised % sliceSize === 0) yield;
      }
      entries.push(`${JSON.stringify(key)}:${entry(definition)}`);
    }
    fields.push(`${JSON.stringify(field)}:{${entries.join(',')}}`);
  }
  return `{${fields.join(',')}}`;
}

/** {@link snapshotJsonInSlices} in one go. */
export function snapshotJson(snapshot: Snapshot): string {
  const steps = snapshotJsonInSlices(snapshot, Infinity);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}
