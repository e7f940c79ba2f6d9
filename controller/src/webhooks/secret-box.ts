/**
 * Webhook secrets at rest: AES-256-GCM under a key from configuration (WEBHOOK_SECRET_KEY, or the
 * key file under DATA_DIR: webhook-secret-key.ts). A sealed value is
 * `v1.<key id>.<iv>.<ciphertext+tag>` (base64url): the key id (first 8 hex digits of the key's
 * SHA-256) lets a process with the wrong key say so instead of failing to authenticate.
 * Opening returns a value or a reason; it never throws.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds a ciphertext to its purpose: a sealed value copied into another column does not open.
const AAD = Buffer.from('flagship.webhook-secret.v1');

export type Opened = { ok: true; value: string } | { ok: false; reason: string };

/** Reads a 32-byte key written as 64 hex digits or as base64 / base64url (43-44 characters). */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : undefined;
  }
  return undefined;
}

export class SecretBox {
  /** First 8 hex digits of SHA-256(key): names the key without revealing it. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error(`a webhook secret key has 32 bytes, got ${key.length}`);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** True for a value this module wrote (any key); false for a legacy plaintext secret. */
  static isSealed(stored: string): boolean {
    return stored.startsWith(`${VERSION}.`);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.keyId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(stored: string): Opened {
    const parts = stored.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION)
      return { ok: false, reason: 'the stored secret is not in the sealed format' };
    const [, keyId, ivText, bodyText] = parts as [string, string, string, string];
    if (keyId !== this.keyId) {
      return {
        ok: false,
        reason: `the secret was sealed with key ${keyId}, but this process has key ${this.keyId} (WEBHOOK_SECRET_KEY differs between processes or was changed)`,
      };
    }
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES)
      return { ok: false, reason: 'the stored secret is truncated' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(AAD);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
      return { ok: true, value: plain.toString('utf8') };
    } catch {
      return {
        ok: false,
        reason: 'the stored secret does not authenticate under this key (altered or sealed with another key)',
      };
    }
  }
}
