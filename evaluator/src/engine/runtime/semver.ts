/**
 * Semantic Versioning 2.0.0 (https://semver.org): strict parsing and precedence. Shared by the
 * validator (which rejects what this cannot parse) and the engine (which compares), so both
 * agree on what a version is.
 */

/** A parsed version. Build metadata is dropped: it never affects precedence. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers; numeric ones as numbers. Empty for a release. */
  prerelease: Array<string | number>;
}

/** Longer strings are rejected outright (npm's semver uses the same limit). */
export const MAX_SEMVER_LENGTH = 256;

// The expression recommended by semver.org. Safe to run: only input of at most 256 characters
// reaches it, and its repeated groups are separated by a literal ".".
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/**
 * Parses `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` strictly: no leading `v`, no leading zeros in
 * numeric parts, no surrounding spaces. Returns `null` for anything else, including numbers
 * beyond `Number.MAX_SAFE_INTEGER` (they could not be compared exactly).
 */
export function parseSemver(s: string): SemVer | null {
  if (typeof s !== 'string' || s.length > MAX_SEMVER_LENGTH) return null;
  const m = SEMVER.exec(s);
  if (m === null) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch)) return null;
  const prerelease: Array<string | number> = [];
  if (m[4] !== undefined) {
    for (const id of m[4].split('.')) {
      if (/^\d+$/.test(id)) {
        const n = Number(id);
        if (!Number.isSafeInteger(n)) return null;
        prerelease.push(n);
      } else {
        prerelease.push(id);
      }
    }
  }
  return { major, minor, patch, prerelease };
}

/**
 * Precedence per semver.org §11: major, minor, patch numerically; a pre-release ranks below its
 * release; pre-release identifiers compare left to right, numeric ones numerically and below
 * alphanumeric ones, alphanumeric ones in ASCII order; a shorter list of equal identifiers ranks
 * lower. Takes parsed versions so the engine can parse a rule's values once.
 */
export function compareSemver(a: SemVer, b: SemVer): -1 | 0 | 1 {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) {
    if (pa.length === pb.length) return 0;
    return pa.length === 0 ? 1 : -1;
  }
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    // Identifiers are ASCII, so UTF-16 code unit order is ASCII order.
    return x < y ? -1 : 1;
  }
  if (pa.length === pb.length) return 0;
  return pa.length < pb.length ? -1 : 1;
}
