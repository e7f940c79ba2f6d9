'use client';
/**
 * Keeps a schedules page current while something on it is about to happen: while a pending
 * schedule is due within the next 5 minutes (or overdue, waiting for the workers), the page's
 * server part is re-read every 2 s, so "scheduled" turns into "applied" without a reload. Bounded:
 * at most 300 refreshes (10 minutes) per page load, and none while nothing is due soon.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';

const EVERY_MS = 2_000;
const SOON_MS = 5 * 60_000;
const MAX_REFRESHES = 300;

export function RefreshWhileDue({ pendingAts }: { pendingAts: string[] }) {
  const router = useRouter();
  const count = useRef(0);
  const key = pendingAts.join(',');
  useEffect(() => {
    const ats = key ? key.split(',').map((a) => Date.parse(a)) : [];
    const timer = setInterval(() => {
      const soon = ats.some((t) => t - Date.now() < SOON_MS);
      if (!soon || count.current >= MAX_REFRESHES) return;
      count.current += 1;
      router.refresh();
    }, EVERY_MS);
    return () => clearInterval(timer);
  }, [key, router]);
  return null;
}
