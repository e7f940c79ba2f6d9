import { describe, expect, it } from 'vitest';
import { environmentsOf } from './model.ts';

describe('environmentsOf', () => {
  it('is null (all environments) unless the scope is limited', () => {
    expect(environmentsOf('editor', 'all', ['shop.dev'])).toBeNull();
    expect(environmentsOf('editor', 'some', ['shop.dev', 'shop.dev', 'shop.prod'])).toEqual(['shop.dev', 'shop.prod']);
    expect(environmentsOf('editor', 'some', [])).toEqual([]);
  });
  it('always lists environments for an sdk key', () => {
    expect(environmentsOf('sdk', 'all', ['shop.prod'])).toEqual(['shop.prod']);
  });
});
