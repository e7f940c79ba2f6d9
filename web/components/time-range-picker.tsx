/**
 * A chart page's time range: preset links (the current one marked) and a custom from/to form.
 * Plain links and a GET form, so it works before (and without) any script and the URL holds the
 * state. `keep` carries the page's other parameters (metrics, arms) through a change of range.
 */
import { inputValue, PRESETS, type TimeRange } from '../lib/time-range.ts';

export interface TimeRangePickerProps {
  path: string;
  range: TimeRange | undefined;
  keep: Record<string, string>;
}

export function TimeRangePicker({ path, range, keep }: TimeRangePickerProps) {
  const href = (extra: Record<string, string>) => `${path}?${new URLSearchParams({ ...keep, ...extra })}`;
  return (
    <div className="stack" data-testid="time-range">
      <nav aria-label="Time range" className="tabs">
        {Object.keys(PRESETS).map((p) => (
          <a key={p} href={href({ range: p })} aria-current={range?.preset === p ? 'page' : undefined}>
            Last {p}
          </a>
        ))}
      </nav>
      <form method="get" action={path} className="row" aria-label="Custom time range">
        {Object.entries(keep).map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <label>
          From (UTC){' '}
          <input type="datetime-local" name="from" defaultValue={range ? inputValue(range.from) : ''} required />
        </label>
        <label>
          To (UTC) <input type="datetime-local" name="to" defaultValue={range ? inputValue(range.to) : ''} />
        </label>
        <button type="submit">Show range</button>
      </form>
    </div>
  );
}
