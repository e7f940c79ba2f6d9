/**
 * Webhook signatures. A receiver recomputes HMAC-SHA256(secret, `${timestamp}.${body}`) and
 * compares it with `X-Flagship-Signature: sha256=<hex>`; the timestamp (unix seconds, also a
 * header) lets it refuse replays older than a few minutes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a signature header. */
export function verifyWebhook(secret: string, timestamp: number, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
