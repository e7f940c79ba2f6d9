import { describe, expect, it } from 'vitest';
import { createBody, parseTags } from './create-flag-model.ts';

const fields = { key: 'new-nav', description: '', tags: '', type: 'boolean', variants: [] };

describe('createBody', () => {
  it('boolean flags get the on/off preset; tags are split and trimmed', () => {
    expect(createBody({ ...fields, description: ' New nav ', tags: 'ui, web,,ui ' })).toEqual({
      ok: true,
      body: {
        key: 'new-nav',
        type: 'boolean',
        description: 'New nav',
        tags: ['ui', 'web'],
        variants: { on: true, off: false },
      },
    });
  });

  it('reads string, number and object values; empty rows are skipped', () => {
    const rows = (values: string[]) => values.map((value, i) => ({ name: `v${i}`, value }));
    expect(createBody({ ...fields, type: 'string', variants: [...rows(['a', 'b']), { name: '', value: '' }] })).toEqual(
      { ok: true, body: { key: 'new-nav', type: 'string', variants: { v0: 'a', v1: 'b' } } },
    );
    expect(createBody({ ...fields, type: 'number', variants: rows(['1.5', '-2']) })).toMatchObject({
      ok: true,
      body: { variants: { v0: 1.5, v1: -2 } },
    });
    expect(createBody({ ...fields, type: 'object', variants: rows(['{"a":1}']) })).toMatchObject({
      ok: true,
      body: { variants: { v0: { a: 1 } } },
    });
  });

  it('names the fields it cannot read', () => {
    expect(
      createBody({
        key: ' ',
        description: '',
        tags: '',
        type: 'object',
        variants: [
          { name: 'a', value: '[1]' },
          { name: 'b', value: '{' },
          { name: '', value: '{}' },
          { name: 'a', value: '{}' },
        ],
      }),
    ).toEqual({
      ok: false,
      problems: [
        { path: 'key', message: 'enter a key' },
        { path: 'variants.a', message: 'must be a JSON object, like {"color": "blue"}' },
        { path: 'variants.b', message: 'is not valid JSON' },
        { path: 'variants[2]', message: 'a variant needs a name' },
      ],
    });
    expect(createBody({ ...fields, type: 'number', variants: [{ name: 'x', value: 'abc' }] })).toMatchObject({
      ok: false,
      problems: [{ path: 'variants.x', message: 'must be a number' }],
    });
    expect(createBody({ ...fields, type: 'string', variants: [] })).toMatchObject({
      ok: false,
      problems: [{ path: 'variants', message: 'add at least one variant' }],
    });
    expect(createBody({ ...fields, type: 'date' })).toMatchObject({ ok: false, problems: [{ path: 'type' }] });
  });

  it('parseTags keeps order and drops duplicates', () => {
    expect(parseTags('b, a, b')).toEqual(['b', 'a']);
    expect(parseTags('')).toEqual([]);
  });
});
