/** The views of a flag in one environment, the current one marked: the same tabs on every view. */
const VIEWS = [
  { view: 'targeting', label: 'Targeting', suffix: '' },
  { view: 'history', label: 'History', suffix: '/history' },
  { view: 'rollouts', label: 'Rollouts', suffix: '/rollouts' },
  { view: 'impact', label: 'Impact', suffix: '/impact' },
] as const;

export type FlagView = (typeof VIEWS)[number]['view'];

/** `flagPath`: `/projects/{p}/environments/{e}/flags/{f}`, already encoded. */
export function FlagTabs({ flagPath, current }: { flagPath: string; current: FlagView }) {
  return (
    <nav aria-label="Flag views" className="tabs">
      {VIEWS.map((v) => (
        <a key={v.view} href={`${flagPath}${v.suffix}`} aria-current={v.view === current ? 'page' : undefined}>
          {v.label}
        </a>
      ))}
    </nav>
  );
}
