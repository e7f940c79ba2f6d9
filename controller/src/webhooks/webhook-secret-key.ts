/**
 * Where the webhook secret key comes from. WEBHOOK_SECRET_KEY (32 bytes, hex or base64) wins;
 * without it, `$DATA_DIR/webhook-secret.key` is used, created at first start with mode 0600 -
 * the same place and lifetime as the embedded SQLite file it protects. The controller and the
 * workers of one machine share DATA_DIR, so they find the same key; processes on several hosts
 * (MySQL) must set WEBHOOK_SECRET_KEY to the same value everywhere (docs/operations.md).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSecretKey } from './secret-box.ts';

export const KEY_FILE = 'webhook-secret.key';

export interface SecretKeySource {
  key: Buffer;
  /** 'configured': WEBHOOK_SECRET_KEY; 'file': an existing key file; 'created': written now. */
  source: 'configured' | 'file' | 'created';
  file?: string;
}

export async function resolveWebhookSecretKey(o: {
  configured: Buffer | undefined;
  dataDir: string;
}): Promise<SecretKeySource> {
  if (o.configured) return { key: o.configured, source: 'configured' };
  const file = join(o.dataDir, KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return { key: existing, source: 'file', file };
  await mkdir(o.dataDir, { recursive: true });
  // Written whole to a private name, then linked into place: link() fails if the name exists, so
  // two processes starting together agree on one key and neither can read a half-written file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(temp, file);
    return { key: (await readKeyFile(file))!, source: 'created', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readKeyFile(file);
    if (!winner) throw new Error(`${file} exists but holds no 32-byte key (64 hex digits)`, { cause: error });
    return { key: winner, source: 'file', file };
  } finally {
    await rm(temp, { force: true });
  }
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const key = parseSecretKey(text);
  if (!key) throw new Error(`${file} holds no 32-byte key (64 hex digits or base64)`);
  return key;
}
