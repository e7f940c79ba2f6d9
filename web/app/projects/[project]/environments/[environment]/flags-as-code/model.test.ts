import { describe, expect, it } from 'vitest';
import { changeRows, contentTypeOf, type ImportResult, utf8Bytes } from './model.ts';

describe('contentTypeOf', () => {
  it('sends JSON when the text starts with {, else YAML', () => {
    expect(contentTypeOf('  \n{"format":"flagship/v1"}')).toBe('application/json');
    expect(contentTypeOf('format: flagship/v1\n')).toBe('application/yaml');
    expect(contentTypeOf('# {comment}\nflags: {}')).toBe('application/yaml');
    expect(contentTypeOf('')).toBe('application/yaml');
  });
});

describe('changeRows', () => {
  it('lists changes first, leaves unchanged ones out and counts them', () => {
    const r: ImportResult = {
      dryRun: true,
      environment: 'shop.dev',
      flags: { b: 'unchanged', z: 'created', a: 'archived', m: 'updated' },
      segments: { s: 'deleted', t: 'unchanged', u: 'created' },
      summary: {
        flags: { created: 1, updated: 1, unchanged: 1, archived: 1 },
        segments: { created: 1, updated: 0, unchanged: 1, deleted: 1 },
      },
    };
    const { rows, unchanged } = changeRows(r);
    expect(rows.map((x) => `${x.kind}:${x.key}:${x.change}`)).toEqual([
      'flag:z:created',
      'segment:u:created',
      'flag:m:updated',
      'flag:a:archived',
      'segment:s:deleted',
    ]);
    expect(unchanged).toEqual({ flags: 1, segments: 1 });
  });
});

describe('utf8Bytes', () => {
  it('counts bytes, not characters', () => {
    expect(utf8Bytes('é')).toBe(2);
  });
});
