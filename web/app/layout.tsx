import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { isAdmin } from '../lib/access.ts';
import { currentSession } from '../lib/session.ts';
import { signOut } from './sign-in/actions.ts';
import './globals.css';

export const metadata: Metadata = { title: 'Flagship console' };
// Every page reads the session cookie, and the CSP nonce is per request: nothing is prerendered.
export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await currentSession();
  const who = session?.who;
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top">
          <a className="brand" href="/projects">
            Flagship
          </a>
          {who ? (
            <>
              <nav aria-label="Main">
                <ul>
                  <li>
                    <a href="/projects">Projects</a>
                  </li>
                  <li>
                    <a href="/rollouts">Rollouts</a>
                  </li>
                  <li>
                    <a href="/audit">Audit log</a>
                  </li>
                  <li>
                    <a href="/status">Status</a>
                  </li>
                  {isAdmin(who) ? (
                    <li>
                      <a href="/api-keys">API keys</a>
                    </li>
                  ) : null}
                </ul>
              </nav>
              <div className="who" aria-label="Signed in as">
                <span data-testid="who-owner">{who.owner}</span>
                <span className="badge" data-testid="who-role">
                  {who.role}
                </span>
                <span className="muted" data-testid="who-environments">
                  {who.environments === null ? 'all environments' : who.environments.join(', ') || 'no environments'}
                </span>
                <span className="muted">key “{who.name}”</span>
                <form action={signOut}>
                  <button type="submit" className="link">
                    Sign out
                  </button>
                </form>
              </div>
            </>
          ) : null}
        </header>
        {children}
      </body>
    </html>
  );
}
