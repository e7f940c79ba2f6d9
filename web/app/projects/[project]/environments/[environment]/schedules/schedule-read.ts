/**
 * The reads of a schedules page: upcoming (pending, soonest first), past (final, newest first)
 * and the current configs of the flags whose pending config schedules are shown (for their diffs).
 */
import 'server-only';
import { type ApiError, callApi, seg } from '../../../../../../lib/admin-api.ts';
import { FINAL, PENDING, type ScheduleView } from '../../../../../../lib/schedule-types.ts';
import type { CurrentConfig } from '../../../../../../components/schedule/schedule-table.tsx';

/** Upcoming schedules shown (soonest first); more are counted as "more". */
export const UPCOMING_LIMIT = 200;
/** Past schedules shown, newest first. */
export const PAST_LIMIT = 100;
/**
 * The list API pages forward from the earliest, so the newest past ones are found by paging to
 * the end: at most this many pages of 500 (5,000 past schedules in one environment, or one flag).
 */
const PAST_PAGES = 10;
/** Current configs read for diffs (one GET each, in parallel). */
const DIFF_FLAGS = 50;

interface Page {
  items: ScheduleView[];
  nextCursor: string | null;
}

export interface ScheduleLists {
  upcoming: ScheduleView[];
  moreUpcoming: boolean;
  past: ScheduleView[];
  /** The past list stopped paging before its end: older ones exist beyond it, newer ones may too. */
  pastTruncated: boolean;
  current: Map<string, CurrentConfig>;
  errors: ApiError[];
}

export async function readSchedules(project: string, environment: string, flag?: string): Promise<ScheduleLists> {
  const base = `/schedules?project=${seg(project)}&environment=${seg(`${project}.${environment}`)}${
    flag ? `&flag=${seg(flag)}` : ''
  }`;
  const errors: ApiError[] = [];
  const up = await callApi<Page>(`${base}&status=${PENDING.join(',')}&limit=${UPCOMING_LIMIT}`);
  if (!up.ok) errors.push(up.error);
  const past: ScheduleView[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: Awaited<ReturnType<typeof callApi<Page>>> = await callApi<Page>(
      `${base}&status=${FINAL.join(',')}&limit=500${cursor ? `&cursor=${seg(cursor)}` : ''}`,
    );
    if (!r.ok) {
      errors.push(r.error);
      break;
    }
    past.push(...r.data.items);
    if (past.length > PAST_LIMIT) past.splice(0, past.length - PAST_LIMIT);
    cursor = r.data.nextCursor;
    pages += 1;
  } while (cursor && pages < PAST_PAGES);
  const upcoming = up.ok ? up.data.items : [];
  const flags = [...new Set(upcoming.filter((s) => s.kind === 'config').map((s) => s.flag))].slice(0, DIFF_FLAGS);
  const envPath = `/projects/${seg(project)}/environments/${seg(environment)}`;
  const configs = await Promise.all(flags.map((f) => callApi<CurrentConfig>(`${envPath}/flags/${seg(f)}`)));
  const current = new Map<string, CurrentConfig>();
  configs.forEach((c, i) => {
    if (c.ok) current.set(flags[i]!, c.data);
  });
  return {
    upcoming,
    moreUpcoming: up.ok && up.data.nextCursor !== null,
    past: past.reverse(),
    pastTruncated: cursor !== null,
    current,
    errors,
  };
}
