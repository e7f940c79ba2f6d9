import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCRIPT_FILES, scriptOf } from './lua-commands.ts';

const dir = new URL('./', import.meta.url);

describe('workers Lua scripts', () => {
  it('names a command and its key count after the file', () => {
    expect(scriptOf('publish-snapshot-6.lua', '')).toMatchObject({ command: 'fsPublishSnapshot', numberOfKeys: 6 });
    expect(scriptOf('release-lock-1.lua', '')).toMatchObject({ command: 'fsReleaseLock', numberOfKeys: 1 });
    expect(() => scriptOf('publish-snapshot.lua', '')).toThrow(/<name>-<number of keys>\.lua/);
  });

  it('loads every .lua file of the folder', () => {
    expect([...SCRIPT_FILES].sort()).toEqual(
      readdirSync(dir)
        .filter((f) => f.endsWith('.lua'))
        .sort(),
    );
  });

  // The key count in the name is what ioredis splits KEYS from ARGV by: a script that gains a key
  // without a new name would read its last key as ARGV[1].
  it.each(SCRIPT_FILES)('%s uses exactly the keys its name counts, as its header lists them', (file) => {
    const lua = readFileSync(new URL(file, dir), 'utf8');
    const { numberOfKeys } = scriptOf(file, lua);
    const listed = /^-- KEYS: (.+)$/m
      .exec(lua)?.[1]
      ?.split(',')
      .map((k) => k.trim());
    expect(listed, 'a "-- KEYS: a, b" header line').toBeDefined();
    expect(listed).toHaveLength(numberOfKeys);
    const used = new Set([...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(Math.max(...used)).toBe(numberOfKeys);
  });
});
