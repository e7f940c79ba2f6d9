/**
 * The status page (issue 14, docs/slo.md): every SLO's error budget left over 30 days and its
 * burn rates over the alerting windows, and the alerts Prometheus holds (pending and firing), read
 * from the recording rules and alerts of prometheus/rules/ in the Prometheus the console is given.
 */
import type { Metadata } from 'next';
import { requireSession } from '../../lib/signed-in.ts';
import { statusPrometheusUrl } from '../../lib/status-config.ts';
import { readStatus } from '../../lib/status-prometheus.ts';
import { BURN_WINDOWS, burnRate, percent, type SloStatus } from '../../lib/status-slo.ts';

export const metadata: Metadata = { title: 'Status · Flagship' };

/** The page alert's thresholds (docs/slo.md): a burn rate at or above them is shown as danger. */
const PAGE_BURN: Record<string, number> = { '5m': 14.4, '1h': 14.4, '6h': 6, '3d': 1 };

function budgetClass(s: SloStatus): string {
  if (s.budgetLeft === null) return 'badge';
  if (s.budgetLeft <= 0) return 'badge danger';
  return s.budgetLeft < 0.25 ? 'badge warn' : 'badge on';
}

export default async function StatusPage() {
  await requireSession();
  const url = statusPrometheusUrl();
  const status = url ? await readStatus(url) : undefined;
  return (
    <main id="main" className="wide">
      <h1>Status</h1>
      <p className="hint">
        Service level objectives over 30 days (docs/slo.md). A burn rate of 1x spends the error budget in exactly 30
        days; the page alerts fire at 14.4x over 1 hour and 6x over 6 hours.
      </p>
      {!url ? (
        <p role="alert">No Prometheus is configured for the console (PROMETHEUS_URL).</p>
      ) : !status?.ok ? (
        <p role="alert">{status?.problem}</p>
      ) : (
        <>
          <h2>Objectives</h2>
          {status.slos.length === 0 ? (
            <p role="alert">
              Prometheus has no SLO recording rules: load prometheus/rules/*.rules.yml into it (docs/slo.md).
            </p>
          ) : (
            <table aria-label="Service level objectives" data-testid="slo-table">
              <thead>
                <tr>
                  <th scope="col">Objective</th>
                  <th scope="col">Target</th>
                  <th scope="col">Budget left (30 d)</th>
                  {BURN_WINDOWS.map((w) => (
                    <th scope="col" key={w}>
                      Burn {w}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {status.slos.map((s) => (
                  <tr key={s.slo} data-slo={s.slo}>
                    <th scope="row">
                      {s.name} <span className="muted">{s.slo}</span>
                    </th>
                    <td>{percent(s.objective)}</td>
                    <td data-testid="budget-left">
                      <span className={budgetClass(s)}>
                        {s.budgetLeft === null ? 'no data' : percent(s.budgetLeft)}
                      </span>
                    </td>
                    {BURN_WINDOWS.map((w) => {
                      const b = s.burn[w];
                      return (
                        <td key={w} data-testid={`burn-${w}`}>
                          {b === null ? (
                            <span className="muted">no data</span>
                          ) : (
                            <span className={b >= (PAGE_BURN[w] ?? 1) ? 'badge danger' : undefined}>{burnRate(b)}</span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Alerts</h2>
          {status.alerts.length === 0 ? (
            <p data-testid="no-alerts">No alert is pending or firing.</p>
          ) : (
            <table aria-label="Alerts" data-testid="alert-table">
              <thead>
                <tr>
                  <th scope="col">Alert</th>
                  <th scope="col">Severity</th>
                  <th scope="col">State</th>
                  <th scope="col">Summary</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {status.alerts.map((a, i) => (
                  <tr key={`${a.name}-${i}`} data-alert={a.name}>
                    <th scope="row">
                      {a.name}
                      {Object.keys(a.labels).length > 0 ? (
                        <div className="muted">
                          {Object.entries(a.labels)
                            .map(([k, v]) => `${k}=${v}`)
                            .join(', ')}
                        </div>
                      ) : null}
                    </th>
                    <td>
                      <span
                        className={
                          a.severity === 'critical' ? 'badge danger' : a.severity === 'warning' ? 'badge warn' : 'badge'
                        }
                      >
                        {a.severity}
                      </span>
                    </td>
                    <td>{a.state}</td>
                    <td>
                      {a.summary}
                      {a.runbookUrl ? (
                        <div className="muted">
                          runbook: <code>{a.runbookUrl}</code>
                        </div>
                      ) : null}
                    </td>
                    <td>{a.since ? `${a.since.slice(0, 19).replace('T', ' ')} UTC` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </main>
  );
}
