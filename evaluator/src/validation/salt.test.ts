import { describe, expect, it } from 'vitest';
import { generateSalt } from './index.ts';

describe('generateSalt', () => {
  it('makes 32 lowercase hex digits from the platform crypto, different each time', () => {
    const a = generateSalt();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(generateSalt()).not.toBe(a);
  });

  it('uses a given random source, clamping out-of-range values', () => {
    expect(generateSalt(() => 0)).toBe('0'.repeat(32));
    expect(generateSalt(() => 0.999)).toBe('f'.repeat(32));
    expect(generateSalt(() => 1)).toBe('f'.repeat(32));
    expect(generateSalt(() => Number.NaN)).toBe('0'.repeat(32));
    let i = 0;
    expect(generateSalt(() => (i++ % 16) / 16)).toBe('0123456789abcdef0123456789abcdef');
  });
});
