'use client';
/**
 * An instant in the viewer's zone and in UTC. The server does not know the viewer's zone, so the
 * server's HTML says UTC and the browser adds its own zone once mounted (no hydration mismatch).
 */
import { useEffect, useState } from 'react';
import { utcText, zonedText } from '../../lib/schedule-time.ts';

export function LocalTime({ iso }: { iso: string }) {
  const [zoned, setZoned] = useState<string | null>(null);
  useEffect(() => {
    setZoned(zonedText(iso, Intl.DateTimeFormat().resolvedOptions().timeZone));
  }, [iso]);
  return (
    <time dateTime={iso} data-testid="schedule-time">
      {zoned ? (
        <>
          {zoned} <span className="muted">({utcText(iso)})</span>
        </>
      ) : (
        utcText(iso)
      )}
    </time>
  );
}
