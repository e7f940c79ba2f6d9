import { flagSchedulesHref } from '../../lib/schedule-links.ts';

/** The views of a flag in one environment, the current one marked: the same tabs on every view. */
const VIEWS = [
  { view: 'targeting', label: 'Targeting', suffix: '' },
  { view: 'history', label: 'History', suffix: '/history' },
  { view: 'rollouts', label: 'Rollouts', suffix: '/rollouts' },
  { view: 'impact', label: 'Impact', suffix: '/impact' },
  // Not under the flag's path: it is the environment's schedules page filtered to the flag.
  { view: 'schedules', label: 'Schedules', suffix: null },
] as const;

export type FlagView = (typeof VIEWS)[number]['view'];

/** `/projects/{p}/environments/{e}/flags/{f}` (encoded) -> the flag's schedules page. */
function schedulesHref(flagPath: string): string {
  const m = /^\/projects\/([^/]+)\/environments\/([^/]+)\/flags\/([^/]+)$/.exec(flagPath);
  if (!m) return `${flagPath}/schedules`;
  const d = (s: string) => decodeURIComponent(s);
  return flagSchedulesHref(d(m[1]!), d(m[2]!), d(m[3]!));
}

/** `flagPath`: `/projects/{p}/environments/{e}/flags/{f}`, already encoded. */
export function FlagTabs({ flagPath, current }: { flagPath: string; current: FlagView }) {
  return (
    <nav aria-label="Flag views" className="tabs">
      {VIEWS.map((v) => (
        <a
          key={v.view}
          href={v.suffix === null ? schedulesHref(flagPath) : `${flagPath}${v.suffix}`}
          aria-current={v.view === current ? 'page' : undefined}
        >
          {v.label}
        </a>
      ))}
    </nav>
  );
}
