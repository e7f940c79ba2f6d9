/**
 * Every tick's evidence as a table: when, the step's weight, the resolved PromQL (copyable, with
 * a link to the Prometheus graph), raw values and samples per arm, each metric's threshold,
 * statistic and verdict, the SRM p-value, the decision and the controller's reason.
 */
import { formatValue } from '../chart/format.ts';
import { prometheusGraphLink } from '../../lib/rollout-links.ts';
import type { MetricEvidence, QueryEvidence, TickView } from '../../lib/rollout-types.ts';
import { samplesOf } from '../../lib/rollout-series.ts';
import { CopyButton } from './copy-button.tsx';
import { when } from './rollout-table.tsx';

/** A tick "did not pass" when it did not move the rollout on: any decision but advance/complete/await-approval with every live metric passing. */
export function tickPassed(t: TickView): boolean {
  const metrics = (t.evidence?.metrics ?? []).filter((m) => !m.dryRun);
  const ok = metrics.every((m) => m.verdict === 'pass' || m.verdict === 'skipped');
  return ok && t.decision !== 'rollback' && t.decision !== 'pause';
}

const raw = (q: QueryEvidence) =>
  q.measurement.kind === 'value'
    ? formatValue(q.measurement.value, 'number')
    : q.measurement.kind === 'nodata'
      ? 'no data'
      : `error: ${q.measurement.message}`;

function threshold(m: MetricEvidence): string {
  const t = m.threshold;
  if (m.kind === 'comparison') return `alpha ${t.alpha}, allowed increase ${t.maxIncrease}`;
  return [t.min !== undefined ? `min ${t.min}` : '', t.max !== undefined ? `max ${t.max}` : '']
    .filter(Boolean)
    .join(', ');
}

function statistic(m: MetricEvidence): string {
  if (m.kind === 'threshold') return m.value === undefined ? '—' : `value ${formatValue(m.value, 'number')}`;
  const s = m.statistic;
  if (!s) return '—';
  const n = (v: number | null) => (v === null ? '−∞' : formatValue(v, 'number'));
  return `difference ${n(s.difference)}, lower bound ${n(s.lowerBound)}, radius ${s.radius === null ? '∞' : formatValue(s.radius, 'number')}`;
}

export function TickTable({ ticks, prometheus }: { ticks: TickView[]; prometheus: string | undefined }) {
  return (
    <div className="table-scroll">
      <table className="ticks" data-testid="tick-table">
        <caption>Ticks, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Tick</th>
            <th scope="col">Time</th>
            <th scope="col">Step (weight)</th>
            <th scope="col">Samples (treatment / control)</th>
            <th scope="col">Metrics</th>
            <th scope="col">SRM p-value</th>
            <th scope="col">Decision</th>
            <th scope="col">Reason</th>
            <th scope="col">Queries</th>
          </tr>
        </thead>
        <tbody>
          {ticks.map((t) => {
            const s = samplesOf(t);
            const srm = t.evidence?.srm;
            return (
              <tr key={t.seq} data-tick-seq={t.seq} data-passed={tickPassed(t) ? 'true' : 'false'}>
                <th scope="row">{t.seq}</th>
                <td>
                  <time dateTime={t.at}>{when(t.at)}</time>
                </td>
                <td>
                  {t.stepIndex + 1} ({t.weightUnits / 1000}%)
                </td>
                <td data-col="samples">
                  {formatValue(s.treatment, 'number')} / {formatValue(s.control, 'number')}
                </td>
                <td data-col="metrics">
                  <ul className="plain">
                    {(t.evidence?.metrics ?? []).map((m) => (
                      <li key={m.name} data-metric={m.name} data-verdict={m.verdict}>
                        <strong>{m.name}</strong>: <span className={`verdict ${m.verdict}`}>{m.verdict}</span>
                        {m.dryRun ? ' (dry run)' : ''} — {statistic(m)}; {threshold(m)}
                        <br />
                        <span className="muted">{m.detail}</span>
                      </li>
                    ))}
                  </ul>
                </td>
                <td data-col="srm">{srm ? srm.pValue.toPrecision(3) : '—'}</td>
                <td data-col="decision">{t.decision}</td>
                <td data-col="reason">{t.reason}</td>
                <td>
                  <details>
                    <summary>{(t.evidence?.queries ?? []).length} queries</summary>
                    <ul className="plain">
                      {(t.evidence?.queries ?? []).map((q) => {
                        const link = prometheusGraphLink(prometheus, q.query, t.at);
                        return (
                          <li key={q.id} data-query-id={q.id}>
                            <span className="muted">
                              {q.id} ({q.arm}) = {raw(q)}
                            </span>
                            <br />
                            <code className="promql">{q.query}</code>{' '}
                            <CopyButton text={q.query} label={`Copy query ${q.id} of tick ${t.seq}`} />
                            {link ? (
                              <>
                                {' '}
                                <a href={link} target="_blank" rel="noreferrer">
                                  graph
                                  <span className="visually-hidden">
                                    {' '}
                                    of {q.id} at tick {t.seq}
                                  </span>
                                </a>
                              </>
                            ) : null}
                          </li>
                        );
                      })}
                    </ul>
                  </details>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
