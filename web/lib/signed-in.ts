import 'server-only';
import { redirect } from 'next/navigation';
import { currentSession, type Session } from './session.ts';

/** The session of a page that needs one; signed-out visitors are sent to the sign-in page. */
export async function requireSession(): Promise<Session> {
  const s = await currentSession();
  if (!s) redirect('/sign-in');
  return s;
}
