/** Conditional requests: If-None-Match against the ETags of bulk answers and snapshots. */

/** If-None-Match against one ETag: `*`, the exact tag, a weak form of it, or a list containing it. */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag || header === '*') return true;
  if (!header.includes(',') && !header.startsWith('W/')) return false;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (t === etag || t === `W/${etag}`) return true;
  }
  return false;
}
