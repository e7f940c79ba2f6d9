'use server';
/**
 * The kill switch's write: POST /projects/:p/flags/:f/kill naming exactly this environment, with
 * the reason the person typed. 200 = written (and audited); 202 = the database could not take the
 * write, the kill reached the evaluators through Redis and is audited later. Never throws.
 */
import { callApi, seg } from '../../lib/admin-api.ts';
import { requireSession } from '../../lib/signed-in.ts';

export interface KillOutcome {
  ok?: boolean;
  error?: string;
  /** What happened, in words (shown next to the switch after the dialog closes). */
  message?: string;
}

interface KillAnswer {
  results: Array<{ environment: string; killed: boolean; version: number }>;
  pendingId?: string;
  message?: string;
}

const field = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
};

export async function killFlag(_prev: KillOutcome, form: FormData): Promise<KillOutcome> {
  await requireSession();
  const project = field(form, 'project');
  const environment = field(form, 'environment');
  const flag = field(form, 'flag');
  const reason = field(form, 'reason').trim();
  if (!project || !environment || !flag) return { error: 'The form lost which flag to turn off: reload the page.' };
  if (!reason) return { error: 'Give a reason: it is recorded in the audit log.' };
  const r = await callApi<KillAnswer>(`/projects/${seg(project)}/flags/${seg(flag)}/kill`, {
    method: 'POST',
    body: { environments: [environment], reason },
  });
  if (!r.ok) {
    const problems = r.error.problems?.map((p) => `${p.path}: ${p.message}`).join('; ');
    return {
      error: `${r.error.message}${problems ? ` (${problems})` : ''} (${r.error.status || 'no answer'} ${r.error.code})`,
    };
  }
  const result = r.data?.results?.[0];
  if (r.status === 202)
    return {
      ok: true,
      message: `Turned off through the emergency path: ${r.data?.message ?? 'the audit row follows once the database takes writes again'}.`,
    };
  if (result && !result.killed) return { ok: true, message: `It was already off in ${result.environment}.` };
  return {
    ok: true,
    message: result ? `Turned off in ${result.environment} (config version ${result.version}).` : 'Turned off.',
  };
}
