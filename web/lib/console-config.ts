import 'server-only';

/** Where the console's server side finds the admin API (CONSOLE_API_URL, default the local controller). */
export function adminApiBase(): string {
  const raw = process.env.CONSOLE_API_URL || 'http://127.0.0.1:4000';
  return `${raw.replace(/\/+$/, '')}/api/v1`;
}

/** Cookies are marked Secure when the console is served over HTTPS (CONSOLE_SECURE_COOKIES=true behind TLS). */
export function secureCookies(): boolean {
  return process.env.CONSOLE_SECURE_COOKIES === 'true';
}
