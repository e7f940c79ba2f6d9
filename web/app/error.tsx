'use client';
// A render that failed shows what happened and a way back, never a blank page.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main id="main">
      <h1>Something went wrong</h1>
      <p role="alert" className="error">
        The console could not show this page{error.digest ? ` (error ${error.digest})` : ''}. The admin API may be down,
        or it answered something the console did not expect.
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>{' '}
      <a href="/projects">Back to projects</a>
    </main>
  );
}
