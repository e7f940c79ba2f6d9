/**
 * The last-known-good copy of each environment's envelope on local disk, so an evaluator that
 * starts while Redis is unreachable still serves the config it last saw. Writes go to a temp
 * file that is renamed over the old one, so a crash mid-write never leaves a torn file.
 */
import { mkdir, readdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmergencyKill } from '../../propagation/protocol.ts';

/** One environment's saved state: the envelope exactly as Redis held it, the deltas applied onto it since, and its kills. */
export interface SavedEnvironment {
  environment: string;
  /** The envelope JSON string as read from Redis. */
  envelope: string;
  /** JSON EnvelopeDelta entries applied onto it, oldest first (files from before: none). */
  deltas: readonly string[];
  kills: Record<string, EmergencyKill>;
  savedAt: number;
}

/** Stores one JSON file per environment under `dir`. */
export class FileLastKnownGood {
  private readonly queued = new Map<string, SavedEnvironment>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly onError: (message: string) => void,
  ) {}

  private file(environment: string): string {
    return join(this.dir, `${encodeURIComponent(environment)}.json`);
  }

  /**
   * Saves (asynchronously) the environment's state. Saves of one environment never overlap, and
   * a burst of saves writes only the newest. Resolves when it (or a newer one) is on disk.
   */
  save(saved: SavedEnvironment): Promise<void> {
    this.queued.set(saved.environment, saved);
    const running = this.writing.get(saved.environment);
    if (running !== undefined) return running;
    const loop = (async () => {
      try {
        await mkdir(this.dir, { recursive: true });
        for (
          let next = this.queued.get(saved.environment);
          next !== undefined;
          next = this.queued.get(saved.environment)
        ) {
          this.queued.delete(saved.environment);
          const target = this.file(next.environment);
          const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
          const body = `{"environment":${JSON.stringify(next.environment)},"savedAt":${next.savedAt},"kills":${JSON.stringify(next.kills)},"deltas":[${next.deltas.join(',')}],"envelope":${next.envelope}}`;
          try {
            await writeFile(temp, body);
            await rename(temp, target);
          } catch (e) {
            this.onError(
              `could not save last-known-good snapshot of ${next.environment} to ${target}: ${(e as Error).message}`,
            );
            await unlink(temp).catch(() => undefined);
          }
        }
      } catch (e) {
        this.onError(`could not create data dir ${this.dir}: ${(e as Error).message}`);
      } finally {
        this.writing.delete(saved.environment);
      }
    })();
    this.writing.set(saved.environment, loop);
    return loop;
  }

  /** Waits for every pending write. */
  async flush(): Promise<void> {
    await Promise.all([...this.writing.values()]);
  }

  /** Loads the saved environments (`environments` empty: every file). Unreadable files are reported and skipped. */
  async load(environments: readonly string[]): Promise<SavedEnvironment[]> {
    let files: string[];
    try {
      files =
        environments.length > 0
          ? environments.map((e) => `${encodeURIComponent(e)}.json`)
          : (await readdir(this.dir)).filter((f) => f.endsWith('.json'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.onError(`could not list ${this.dir}: ${(e as Error).message}`);
      return [];
    }
    const out: SavedEnvironment[] = [];
    for (const f of files) {
      const path = join(this.dir, f);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          this.onError(`could not read ${path}: ${(e as Error).message}`);
        continue;
      }
      try {
        const parsed = JSON.parse(text) as {
          environment: string;
          savedAt: number;
          kills: Record<string, EmergencyKill>;
          deltas?: unknown[];
          envelope: unknown;
        };
        out.push({
          environment: parsed.environment,
          savedAt: parsed.savedAt,
          kills: parsed.kills ?? {},
          envelope: JSON.stringify(parsed.envelope),
          deltas: Array.isArray(parsed.deltas) ? parsed.deltas.map((d) => JSON.stringify(d)) : [],
        });
      } catch (e) {
        this.onError(`ignoring corrupt last-known-good file ${path}: ${(e as Error).message}`);
      }
    }
    return out;
  }
}
