/** Rollouts as a table: the list page, a flag's rollouts, and the rollback review share it. */
import type { ReactNode } from 'react';
import { seg } from '../../lib/admin-api.ts';
import type { RolloutView } from '../../lib/rollout-types.ts';
import { STATUS_CLASS, statusLabel } from '../../lib/rollout-verdict.ts';

export const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

export function StatusChip({ r }: { r: Pick<RolloutView, 'status' | 'weightPercent'> }) {
  return (
    <span className={STATUS_CLASS[r.status]} data-testid="rollout-status">
      {statusLabel(r)}
    </span>
  );
}

export function RolloutTable({
  items,
  caption,
  extra,
}: {
  items: RolloutView[];
  caption: string;
  /** More columns: header and a cell per rollout. */
  extra?: { header: string; cell: (r: RolloutView) => ReactNode };
}) {
  return (
    <table data-testid="rollout-list">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Rollout</th>
          <th scope="col">Status</th>
          <th scope="col">Flag</th>
          <th scope="col">Environment</th>
          <th scope="col">Policy</th>
          <th scope="col">Step</th>
          <th scope="col">Variants</th>
          <th scope="col">Last change</th>
          {extra ? <th scope="col">{extra.header}</th> : null}
        </tr>
      </thead>
      <tbody>
        {items.map((r) => (
          <tr key={r.id} data-rollout-id={r.id}>
            <td>
              <a href={`/rollouts/${r.id}`}>#{r.id}</a>
            </td>
            <td>
              <StatusChip r={r} />
            </td>
            <td>
              <a
                href={`/projects/${seg(r.project)}/environments/${seg(r.environment.slice(r.project.length + 1))}/flags/${seg(r.flag)}/rollouts`}
              >
                {r.flag}
              </a>
            </td>
            <td>{r.environment}</td>
            <td>{r.policy}</td>
            <td>
              {r.step} of {r.steps}
            </td>
            <td>
              {r.treatment} <span className="muted">vs</span> {r.control}
            </td>
            <td>
              <time dateTime={r.updatedAt}>{when(r.updatedAt)}</time>
            </td>
            {extra ? <td>{extra.cell(r)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
