/**
 * Downloads the environment as flags-as-code: the admin API's export, fetched server-side with the
 * session's key (the browser never holds it), answered as an attachment.
 */
import { type NextRequest, NextResponse } from 'next/server';
import { callApi, seg } from '../../../../../../../lib/admin-api.ts';
import { currentSession } from '../../../../../../../lib/session.ts';

export const dynamic = 'force-dynamic';

export async function GET(
  request: NextRequest,
  { params }: { params: Promise<{ project: string; environment: string }> },
): Promise<Response> {
  const { project, environment } = await params;
  if (!(await currentSession())) return NextResponse.redirect(new URL('/sign-in', request.url), 303);
  const format = request.nextUrl.searchParams.get('format') ?? 'yaml';
  if (format !== 'yaml' && format !== 'json')
    return new Response('format must be yaml or json\n', { status: 400, headers: { 'content-type': 'text/plain' } });
  const r = await callApi<string>(
    `/projects/${seg(project)}/environments/${seg(environment)}/export?format=${format}`,
    {
      text: true,
    },
  );
  if (!r.ok)
    return new Response(`${r.error.message} (${r.error.status} ${r.error.code})\n`, {
      status: r.error.status || 502,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  // Keys are [a-z0-9-]-like; anything else is replaced so the header stays valid.
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  const filename = `${safe(project)}.${safe(environment)}.flags.${format}`;
  return new Response(r.data, {
    status: 200,
    headers: {
      'content-type': format === 'yaml' ? 'application/yaml; charset=utf-8' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    },
  });
}
