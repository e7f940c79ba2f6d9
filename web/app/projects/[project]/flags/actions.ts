'use server';
import { redirect } from 'next/navigation';
import { type ApiError, callApi, seg } from '../../../../lib/admin-api.ts';
import { requireSession } from '../../../../lib/signed-in.ts';
import { createBody, type FieldProblem } from './create-flag-model.ts';

export interface CreateFlagState {
  /** What the form could not read (before asking the API). */
  problems?: FieldProblem[];
  /** The API's refusal (400/403/409/422), shown with ApiErrorPanel. */
  error?: ApiError;
}

const str = (form: FormData, name: string) => String(form.get(name) ?? '');

/** Creates the flag (off everywhere) and opens its targeting editor in the project's first environment. */
export async function createFlag(_prev: CreateFlagState, form: FormData): Promise<CreateFlagState> {
  await requireSession();
  const project = str(form, 'project');
  const names = form.getAll('variantName').map(String);
  const values = form.getAll('variantValue').map(String);
  const parsed = createBody({
    key: str(form, 'key'),
    description: str(form, 'description'),
    tags: str(form, 'tags'),
    type: str(form, 'type'),
    variants: names.map((name, i) => ({ name, value: values[i] ?? '' })),
  });
  if (!parsed.ok) return { problems: parsed.problems };
  const created = await callApi<{ key: string }>(`/projects/${seg(project)}/flags`, {
    method: 'POST',
    body: parsed.body,
  });
  if (!created.ok) return { error: created.error };
  const envs = await callApi<{ items: Array<{ key: string }> }>(`/projects/${seg(project)}/environments`);
  const first = envs.ok ? envs.data.items[0]?.key : undefined;
  redirect(
    first
      ? `/projects/${seg(project)}/environments/${seg(first)}/flags/${seg(created.data.key)}`
      : `/projects/${seg(project)}/flags?q=${seg(created.data.key)}`,
  );
}
