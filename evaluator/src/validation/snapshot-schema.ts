/** Validation of a whole environment snapshot, including references between its parts. */
import type { Prerequisite, Segment, Snapshot, SnapshotFlag } from '../model/flag.ts';
import { CONFIG_FIELDS, readConfigFields } from './config-schema.ts';
import type { PrerequisiteRef } from './config-schema.ts';
import { parseDateValue } from '../engine/runtime/date-value.ts';
import { checkInteger, checkKey, checkUnknownFields, expectRecord, own, requirePresent } from './fields.ts';
import { FLAG_FIELDS, readFlagFields } from './flag-schema.ts';
import { findPrerequisiteCycles } from './prerequisite-cycles.ts';
import { describeType, pathKey, ProblemCollector, quote } from './problems.ts';
import type { Validated } from './problems.ts';
import { readSegment } from './segment-schema.ts';

const SNAPSHOT_FIELDS: ReadonlySet<string> = new Set(['environment', 'version', 'createdAt', 'flags', 'segments']);
const SNAPSHOT_FLAG_FIELDS: ReadonlySet<string> = new Set([...FLAG_FIELDS, ...CONFIG_FIELDS, 'version']);

/** What the cross-checks need from each flag, valid or not. */
interface FlagFacts {
  path: string;
  variantNames: ReadonlySet<string> | null;
  prerequisites: PrerequisiteRef[];
}

/**
 * Validates a snapshot in full: every segment and flag (definition and configuration, with
 * paths like `flags.myFlag.rules[0]...`), record keys equal to the objects' keys, segment
 * references, prerequisites naming existing flags and variants, and prerequisite cycles
 * (`flags.a.prerequisites: prerequisite cycle a -> b -> a`). Never throws.
 */
export function validateSnapshot(input: unknown): Validated<Snapshot> {
  const p = new ProblemCollector();
  const o = expectRecord(input, '', p);
  if (o === undefined) return p.result<Snapshot>(undefined);
  checkUnknownFields(o, '', SNAPSHOT_FIELDS, p);

  const environment = requirePresent(o, 'environment', '', p)
    ? checkKey(own(o, 'environment'), 'environment', p)
    : undefined;
  const version = requirePresent(o, 'version', '', p) ? checkInteger(own(o, 'version'), 'version', p, 0) : undefined;
  let createdAt: string | undefined;
  if (Object.hasOwn(o, 'createdAt')) {
    const raw = own(o, 'createdAt');
    if (typeof raw !== 'string') p.add('createdAt', `expected string, got ${describeType(raw)}`);
    else if (parseDateValue(raw) === null)
      p.add('createdAt', `invalid date ${quote(raw)}: expected RFC 3339, e.g. "2025-01-31T09:00:00Z"`);
    else createdAt = raw;
  }

  // Segments first: flags are checked against the segment keys present, valid or not, so one
  // broken segment does not also make every rule that uses it "unknown".
  let segments: Record<string, Segment> | undefined;
  let knownSegments: ReadonlySet<string> = new Set();
  if (requirePresent(o, 'segments', '', p)) {
    const raw = expectRecord(own(o, 'segments'), 'segments', p);
    if (raw !== undefined) {
      knownSegments = new Set(Object.keys(raw));
      segments = readSegments(raw, p);
    }
  }

  let flags: Record<string, SnapshotFlag> | undefined;
  const facts = new Map<string, FlagFacts>();
  if (requirePresent(o, 'flags', '', p)) {
    const raw = expectRecord(own(o, 'flags'), 'flags', p);
    if (raw !== undefined) flags = readFlags(raw, knownSegments, facts, p);
  }

  checkPrerequisiteReferences(facts, p);

  if (environment === undefined || version === undefined || segments === undefined || flags === undefined) {
    return p.result<Snapshot>(undefined);
  }
  return p.result<Snapshot>({
    environment,
    version,
    ...(createdAt !== undefined ? { createdAt } : {}),
    flags,
    segments,
  });
}

function readSegments(raw: Record<string, unknown>, p: ProblemCollector): Record<string, Segment> | undefined {
  const before = p.total;
  const out: Record<string, Segment> = {};
  for (const name of Object.keys(raw)) {
    if (p.full) break;
    const path = pathKey('segments', name);
    const segment = readSegment(raw[name], path, p);
    if (segment === undefined) continue;
    if (segment.key !== name) {
      p.add(pathKey(path, 'key'), `key ${quote(segment.key)} does not match its entry name ${quote(name)}`);
      continue;
    }
    // `name` equals a valid key here, so never `__proto__`: plain assignment is safe.
    out[name] = segment;
  }
  return p.total === before ? out : undefined;
}

function readFlags(
  raw: Record<string, unknown>,
  knownSegments: ReadonlySet<string>,
  facts: Map<string, FlagFacts>,
  p: ProblemCollector,
): Record<string, SnapshotFlag> | undefined {
  const before = p.total;
  const out: Record<string, SnapshotFlag> = {};
  for (const name of Object.keys(raw)) {
    if (p.full) break;
    const path = pathKey('flags', name);
    const o = expectRecord(raw[name], path, p);
    if (o === undefined) continue;
    const flagBefore = p.total;
    checkUnknownFields(o, path, SNAPSHOT_FLAG_FIELDS, p);
    const def = readFlagFields(o, path, p);
    if (def.key !== undefined && def.key !== name) {
      p.add(pathKey(path, 'key'), `key ${quote(def.key)} does not match its entry name ${quote(name)}`);
    }
    const cfg = readConfigFields(o, path, p, {
      flagKey: name,
      variantNames: def.variantNames,
      knownSegments,
    });
    const version = requirePresent(o, 'version', path, p)
      ? checkInteger(own(o, 'version'), pathKey(path, 'version'), p, 0)
      : undefined;
    facts.set(name, { path, variantNames: def.variantNames, prerequisites: cfg.prerequisites });
    if (p.total === flagBefore && def.flag !== undefined && cfg.config !== undefined && version !== undefined) {
      out[name] = { ...def.flag, ...cfg.config, version };
    }
  }
  return p.total === before ? out : undefined;
}

/** Prerequisites must name existing flags and variants, and must not form cycles. */
function checkPrerequisiteReferences(facts: Map<string, FlagFacts>, p: ProblemCollector): void {
  const graph: Record<string, { prerequisites: Prerequisite[] }> = Object.create(null) as Record<
    string,
    { prerequisites: Prerequisite[] }
  >;
  for (const [name, fact] of facts) {
    const resolved: Prerequisite[] = [];
    for (const ref of fact.prerequisites) {
      if (p.full) return;
      const target = facts.get(ref.flag);
      if (target === undefined) {
        p.add(pathKey(ref.path, 'flag'), `unknown flag ${quote(ref.flag)}`);
        continue;
      }
      if (target.variantNames !== null && !target.variantNames.has(ref.variant)) {
        p.add(pathKey(ref.path, 'variant'), `flag ${quote(ref.flag)} has no variant ${quote(ref.variant)}`);
      }
      resolved.push(ref);
    }
    graph[name] = { prerequisites: resolved };
  }
  for (const cycle of findPrerequisiteCycles(graph)) {
    // A flag naming itself was already reported where it happens.
    if (cycle.length < 2) continue;
    const first = cycle[0]!;
    p.add(
      pathKey(facts.get(first)?.path ?? 'flags', 'prerequisites'),
      `prerequisite cycle ${[...cycle, first].join(' -> ')}`,
    );
  }
}
