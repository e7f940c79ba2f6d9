import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from './semver.ts';

describe('parseSemver', () => {
  it('parses versions with pre-release and build', () => {
    expect(parseSemver('1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseSemver('1.0.0-alpha.1.x-y+build.007')).toEqual({
      major: 1,
      minor: 0,
      patch: 0,
      prerelease: ['alpha', 1, 'x-y'],
    });
    expect(parseSemver('0.0.0-0A.01a')).toEqual({ major: 0, minor: 0, patch: 0, prerelease: ['0A', '01a'] });
  });

  it.each([
    'v1.2.3',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.2.3-',
    '1.2.3-01',
    '1.2.3+',
    '1.2.3-a..b',
    ' 1.2.3',
    '1.2.3 ',
    '',
    '99999999999999999999.0.0',
    `1.2.3-${'a'.repeat(260)}`,
  ])('rejects %j', (s) => {
    expect(parseSemver(s)).toBeNull();
  });
});

describe('compareSemver', () => {
  const cmp = (a: string, b: string) => compareSemver(parseSemver(a)!, parseSemver(b)!);

  it('follows the precedence example of semver.org', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(cmp(ordered[i]!, ordered[j]!), `${ordered[i]} vs ${ordered[j]}`).toBe(i < j ? -1 : i > j ? 1 : 0);
      }
    }
  });

  it('ignores build metadata', () => {
    expect(cmp('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(cmp('1.0.0-rc.1+x', '1.0.0-rc.1')).toBe(0);
  });
});
