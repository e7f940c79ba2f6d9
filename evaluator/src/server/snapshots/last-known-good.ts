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
  /** The version of `envelope`'s snapshot (which the deltas file names, to be matched on load). */
  baseVersion: number;
  kills: Record<string, EmergencyKill>;
  savedAt: number;
}

/**
 * Stores one JSON file per environment under `dir` (`<env>.json`: the full envelope, the kills
 * and the deltas at the time the envelope was written), and beside it `<env>.deltas.json`: the
 * deltas and kills since, which is all a delta changes. Writing the 5 MB envelope of a
 * 10,000-flag environment on every change would cost the event loop milliseconds and the disk
 * 5 MB per change; the small file is rewritten instead, and the envelope only when it changes.
 * The deltas file names the envelope it follows (its length and version), so a crash between the
 * two writes leaves a pair that is recognised as unmatched and the envelope alone is loaded.
 */
export class FileLastKnownGood {
  private readonly queued = new Map<string, SavedEnvironment>();
  private readonly writing = new Map<string, Promise<void>>();
  /** Per environment, the envelope string last written in full (compared by identity). */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly onError: (message: string) => void,
  ) {}

  private file(environment: string): string {
    return join(this.dir, `${encodeURIComponent(environment)}.json`);
  }

  private deltasFile(environment: string): string {
    return join(this.dir, `${encodeURIComponent(environment)}.deltas.json`);
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
          const kills = JSON.stringify(next.kills);
          const deltas = `[${next.deltas.join(',')}]`;
          if (this.written.get(next.environment) === next.envelope) {
            const follows = `{"length":${next.envelope.length},"version":${next.baseVersion}}`;
            await this.write(
              this.deltasFile(next.environment),
              `{"environment":${JSON.stringify(next.environment)},"savedAt":${next.savedAt},"follows":${follows},"kills":${kills},"deltas":${deltas}}`,
              next.environment,
            );
            continue;
          }
          const ok = await this.write(
            this.file(next.environment),
            `{"environment":${JSON.stringify(next.environment)},"savedAt":${next.savedAt},"kills":${kills},"deltas":${deltas},"envelope":${next.envelope}}`,
            next.environment,
          );
          if (ok) {
            this.written.set(next.environment, next.envelope);
            await unlink(this.deltasFile(next.environment)).catch(() => undefined);
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

  /** Writes `body` to a temp file renamed over `target`; false (reported) when it failed. */
  private async write(target: string, body: string, environment: string): Promise<boolean> {
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, body);
      await rename(temp, target);
      return true;
    } catch (e) {
      this.onError(`could not save last-known-good snapshot of ${environment} to ${target}: ${(e as Error).message}`);
      await unlink(temp).catch(() => undefined);
      return false;
    }
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
          : (await readdir(this.dir)).filter((f) => f.endsWith('.json') && !f.endsWith('.deltas.json'));
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
        const envelope = JSON.stringify(parsed.envelope);
        const saved: SavedEnvironment = {
          environment: parsed.environment,
          savedAt: parsed.savedAt,
          kills: parsed.kills ?? {},
          envelope,
          deltas: Array.isArray(parsed.deltas) ? parsed.deltas.map((d) => JSON.stringify(d)) : [],
          baseVersion: Number((parsed.envelope as { snapshot?: { version?: unknown } })?.snapshot?.version),
        };
        out.push((await this.laterDeltas(path.replace(/\.json$/, '.deltas.json'), saved, text)) ?? saved);
      } catch (e) {
        this.onError(`ignoring corrupt last-known-good file ${path}: ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** The saved state with the deltas file beside it, when that file follows this envelope. */
  private async laterDeltas(
    path: string,
    saved: SavedEnvironment,
    fileText: string,
  ): Promise<SavedEnvironment | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const d = JSON.parse(text) as {
        savedAt: number;
        follows?: { length?: number; version?: number };
        kills?: Record<string, EmergencyKill>;
        deltas?: unknown[];
      };
      if (
        d.follows?.length !== rawEnvelopeOf(fileText).length ||
        d.follows?.version !== saved.baseVersion ||
        !Array.isArray(d.deltas)
      )
        return undefined;
      return { ...saved, savedAt: d.savedAt, kills: d.kills ?? {}, deltas: d.deltas.map((x) => JSON.stringify(x)) };
    } catch (e) {
      this.onError(`ignoring corrupt last-known-good deltas file ${path}: ${(e as Error).message}`);
      return undefined;
    }
  }
}

/** The envelope text of a saved file (written last, so everything after `"envelope":` up to the closing brace). */
function rawEnvelopeOf(fileText: string): string {
  const at = fileText.indexOf('"envelope":');
  return at < 0 ? '' : fileText.slice(at + '"envelope":'.length, fileText.lastIndexOf('}'));
}
