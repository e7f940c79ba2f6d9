'use server';
import { revalidatePath } from 'next/cache';
import { callApi, seg } from '../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../lib/signed-in.ts';
import {
  contentTypeOf,
  type ImportOutcome,
  type ImportRequest,
  type ImportResult,
  MAX_IMPORT_BYTES,
  utf8Bytes,
} from './model.ts';

/** POSTs the document to …/import?dryRun=true|false as the signed-in key and returns the API's answer. */
export async function importDocument(req: ImportRequest): Promise<ImportOutcome> {
  await requireSession();
  const document = String(req.document ?? '');
  if (document.trim() === '')
    return {
      ok: false,
      error: { status: 400, code: 'EMPTY_DOCUMENT', message: 'paste a document or choose a file first', details: {} },
    };
  if (utf8Bytes(document) > MAX_IMPORT_BYTES)
    return {
      ok: false,
      error: { status: 413, code: 'BODY_TOO_LARGE', message: 'the document is larger than 10 MiB', details: {} },
    };
  const base = `/projects/${seg(String(req.project))}/environments/${seg(String(req.environment))}`;
  const r = await callApi<ImportResult>(`${base}/import?dryRun=${req.dryRun ? 'true' : 'false'}`, {
    method: 'POST',
    body: document,
    contentType: contentTypeOf(document),
  });
  if (!r.ok) return { ok: false, error: r.error };
  if (!req.dryRun) revalidatePath(`/projects/${seg(String(req.project))}`, 'layout');
  return { ok: true, result: r.data };
}
