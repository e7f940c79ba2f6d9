/** What the metric pages share: the project's path, its breadcrumbs, and reading a key from the URL. */
import 'server-only';
import { seg } from '../../../../lib/admin-api.ts';
import { Breadcrumbs } from '../environments/[environment]/segments/page-support.tsx';

export const metricsPath = (project: string) => `/projects/${seg(project)}/metrics`;

/** A path parameter as typed (`policy%3Astandard%3Aerror-ratio`), tolerant of a stray `%`. */
export function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function MetricCrumbs({ project, here }: { project: string; here?: string }) {
  return (
    <Breadcrumbs
      items={[
        { label: 'Projects', href: '/projects' },
        { label: project, href: `/projects/${seg(project)}/flags` },
        here === undefined ? { label: 'Metrics' } : { label: 'Metrics', href: metricsPath(project) },
        ...(here === undefined ? [] : [{ label: here }]),
      ]}
    />
  );
}
