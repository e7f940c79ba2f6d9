/**
 * The workers' Lua scripts, one file each, named `<name>-<number of keys>.lua` (the BullMQ way):
 * read once at module load and registered on a client with ioredis `defineCommand` (EVALSHA,
 * falling back to EVAL after a Redis restart flushed the script cache). A script runs atomically,
 * which is what each is for; what it does and its KEYS/ARGV are at the top of its file.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The commands (`fs` + the file's name in camelCase); every argument is a string: KEYS, then ARGV. */
export interface LuaCommands {
  fsPublishSnapshot(...keysThenArgs: string[]): Promise<number>;
  fsPublishDelta(...keysThenArgs: string[]): Promise<number>;
  fsCompactSnapshot(...keysThenArgs: string[]): Promise<number>;
  fsUnpublishSnapshot(...keysThenArgs: string[]): Promise<number>;
  fsReleaseLock(...keysThenArgs: string[]): Promise<number>;
  fsRenewLock(...keysThenArgs: string[]): Promise<number>;
}

export interface LuaScript {
  command: string;
  numberOfKeys: number;
  lua: string;
}

/** `publish-snapshot-6.lua` -> fsPublishSnapshot with 6 keys. */
export function scriptOf(file: string, lua: string): LuaScript {
  const m = /^([a-z]+(?:-[a-z]+)*)-(\d+)\.lua$/.exec(file);
  if (!m) throw new Error(`workers Lua script ${file}: expected <name>-<number of keys>.lua`);
  const command = `fs-${m[1]!}`.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return { command, numberOfKeys: Number(m[2]), lua };
}

const load = (file: string) => scriptOf(file, readFileSync(new URL(file, import.meta.url), 'utf8'));

/** Every script of this folder (lua-commands.test.ts checks that none is left out). */
export const SCRIPT_FILES = [
  'publish-snapshot-6.lua',
  'publish-delta-5.lua',
  'compact-snapshot-3.lua',
  'unpublish-snapshot-4.lua',
  'release-lock-1.lua',
  'renew-lock-1.lua',
] as const;

const SCRIPTS: readonly LuaScript[] = SCRIPT_FILES.map(load);

/**
 * Registers every script on the client (idempotent: a second call redefines the same commands)
 * and returns the client typed with them.
 */
export function luaCommands(redis: Redis): LuaCommands {
  for (const s of SCRIPTS) redis.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  return redis as unknown as LuaCommands;
}
