/**
 * Console sessions. The API key a person signs in with stays in this process: the browser holds
 * only a random session id in an httpOnly, SameSite=Strict cookie, so no script in the page (and
 * no cross-site form) can read or replay the key. Sessions live in memory: restarting the console
 * signs everyone out, and sign-out deletes the entry, so a copied cookie stops working at once.
 */
import 'server-only';
import { randomBytes } from 'node:crypto';
import { cookies } from 'next/headers';
import { secureCookies } from './console-config.ts';

export const SESSION_COOKIE = 'flagship_session';
/** A session ends after this long without a request, and in any case after MAX_AGE_MS. */
const IDLE_MS = 8 * 3600_000;
const MAX_AGE_MS = 24 * 3600_000;
/** Bounds memory: the oldest sessions are dropped first beyond this many. */
const MAX_SESSIONS = 10_000;

/** The signed-in key as the admin API describes it (GET /api/v1/me). */
export interface Who {
  id: string;
  name: string;
  owner: string;
  role: 'viewer' | 'editor' | 'approver' | 'admin';
  /** Environment ids (`project.env`) the key is limited to; null = all. */
  environments: string[] | null;
}

export interface Session {
  token: string;
  who: Who;
  createdAt: number;
  lastSeen: number;
}

// One map per process, even if Next bundles this module into several server chunks.
const STORE = Symbol.for('flagship.console.sessions');
const g = globalThis as unknown as { [STORE]?: Map<string, Session> };
const sessions = (g[STORE] ??= new Map<string, Session>());

function live(s: Session, now: number): boolean {
  return now - s.lastSeen < IDLE_MS && now - s.createdAt < MAX_AGE_MS;
}

/** Starts a session for a verified key and sets its cookie (server actions and route handlers only). */
export async function startSession(token: string, who: Who): Promise<void> {
  const now = Date.now();
  for (const [id, s] of sessions) if (!live(s, now)) sessions.delete(id);
  while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  const id = randomBytes(32).toString('base64url');
  sessions.set(id, { token, who, createdAt: now, lastSeen: now });
  (await cookies()).set(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: secureCookies(),
    path: '/',
    maxAge: MAX_AGE_MS / 1000,
  });
}

/** The current request's session, or undefined when signed out or expired. */
export async function currentSession(): Promise<Session | undefined> {
  const id = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!id) return undefined;
  const s = sessions.get(id);
  const now = Date.now();
  if (!s) return undefined;
  if (!live(s, now)) {
    sessions.delete(id);
    return undefined;
  }
  s.lastSeen = now;
  return s;
}

/** Ends the current session: the entry is deleted, the cookie cleared. */
export async function endSession(): Promise<void> {
  const jar = await cookies();
  const id = jar.get(SESSION_COOKIE)?.value;
  if (id) sessions.delete(id);
  jar.delete(SESSION_COOKIE);
}

/** Ends every session of a token (after its key was revoked through the console). */
export function endSessionsOfKey(keyId: string): void {
  for (const [id, s] of sessions) if (s.who.id === keyId) sessions.delete(id);
}
