/**
 * Which dependencies a package-lock.json (v2/v3) cannot resolve. `npm ci` installs only what the
 * lock names and refuses a lock that lacks a dependency, including another platform's optional
 * one: npm writes such incomplete locks when it rebuilds the lock from an existing node_modules
 * (rollup's per-platform packages went missing that way). Checked in `npm test` so an incomplete
 * lock fails here, not at the next `npm ci` on a fresh machine.
 */

interface LockedPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  link?: boolean;
}

export interface PackageLock {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
}

/** Node's lookup: `<dir>/node_modules/<name>` from the package's own folder up to the root. */
function resolves(packages: PackageLock['packages'], from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    if (packages[`${dir === '' ? '' : `${dir}/`}node_modules/${name}`]) return true;
    if (dir === '') return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

/** Lines like `node_modules/rollup -> @rollup/rollup-darwin-arm64 (optional)`; empty when complete. */
export function missingFromLock(lock: PackageLock): string[] {
  if (lock.lockfileVersion < 2) return [`lockfileVersion ${lock.lockfileVersion}: npm ci here needs version 2 or 3`];
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    if (pkg.link) continue;
    for (const [kind, deps] of [
      ['', pkg.dependencies],
      [' (optional)', pkg.optionalDependencies],
    ] as const) {
      for (const name of Object.keys(deps ?? {})) {
        if (!resolves(lock.packages, path, name)) missing.push(`${path || '(root)'} -> ${name}${kind}`);
      }
    }
  }
  return missing;
}
