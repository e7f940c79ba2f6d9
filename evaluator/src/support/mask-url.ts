/**
 * Masks the password of URLs in anything printed: start-up lines, log lines, error messages.
 * Every process imports this one function (controller and workers through the package export
 * `@flagship/evaluator/mask-url`, the evaluator server directly), so a connection string like
 * `mysql://app:hunter2@db/flags` is printed as `mysql://app:***@db/flags` everywhere. It uses no
 * Node built-ins; it lives outside the engine barrel because the engine does no I/O to print.
 */

const MASK = '***';

// scheme://user:password@ - the password runs to the last "@" before the host part ends. Passwords
// with a literal "@" must be percent-encoded in a URL anyway; this also masks a raw one.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'`]*):([^\s/?#"'`]*)@/gi;

/**
 * One URL with its password (and a token-only userinfo such as `redis://:secret@host`) masked;
 * everything else is kept so an operator still sees which host and database is meant. A value
 * that does not parse as a URL is masked textually.
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return maskUrlsIn(url);
  }
  if (parsed.password === '') return url;
  parsed.password = MASK;
  // URL serialises "***" percent-encoded as "***" (no escaping needed for "*").
  return parsed.toString();
}

/** Masks every `scheme://user:password@` inside free text (an error message, a log line). */
export function maskUrlsIn(text: string): string {
  return text.replace(USERINFO, (_all, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}
