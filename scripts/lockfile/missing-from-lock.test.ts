import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingFromLock, type PackageLock } from './missing-from-lock.ts';

describe('missingFromLock', () => {
  it("names another platform's optional package that the lock lacks", () => {
    const lock: PackageLock = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { vitest: '^3' } },
        'node_modules/vitest': { dependencies: { rollup: '^4' } },
        'node_modules/rollup': {
          optionalDependencies: { '@rollup/rollup-linux-x64-gnu': '4.0.0', '@rollup/rollup-darwin-arm64': '4.0.0' },
        },
        'node_modules/@rollup/rollup-linux-x64-gnu': {},
      },
    };
    expect(missingFromLock(lock)).toEqual(['node_modules/rollup -> @rollup/rollup-darwin-arm64 (optional)']);
  });

  it('resolves nested copies the way Node does, from the inside out', () => {
    const lock: PackageLock = {
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1' } },
        'node_modules/a': { dependencies: { b: '2' } },
        'node_modules/a/node_modules/b': { dependencies: { c: '1' } },
        'node_modules/c': {},
        'node_modules/d': { dependencies: { b: '1' } },
      },
    };
    expect(missingFromLock(lock)).toEqual(['node_modules/d -> b']);
  });

  it("finds nothing missing in this repository's lock (npm ci installs from it on any platform)", () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as PackageLock;
    expect(missingFromLock(lock)).toEqual([]);
  });
});
