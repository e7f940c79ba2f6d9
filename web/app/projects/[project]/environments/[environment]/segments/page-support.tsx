/** What the segment and change-request pages share: the environment they are about, and their breadcrumbs. */
import 'server-only';
import { type ApiResult, callApi, seg } from '../../../../../../lib/admin-api.ts';

export interface EnvironmentInfo {
  key: string;
  id: string;
  name: string;
  requireApproval: boolean;
}

export const loadEnvironment = (project: string, environment: string): Promise<ApiResult<EnvironmentInfo>> =>
  callApi<EnvironmentInfo>(`/projects/${seg(project)}/environments/${seg(environment)}`);

export const envPath = (project: string, environment: string) =>
  `/projects/${seg(project)}/environments/${seg(environment)}`;

/** Links to a flag's targeting editor in this environment. */
export const flagEditorPath = (project: string, environment: string, flag: string) =>
  `${envPath(project, environment)}/flags/${seg(flag)}`;

export function Breadcrumbs({ items }: { items: Array<{ label: string; href?: string }> }) {
  return (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        {items.map((it, i) => (
          <li key={i}>{it.href ? <a href={it.href}>{it.label}</a> : <span aria-current="page">{it.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}
