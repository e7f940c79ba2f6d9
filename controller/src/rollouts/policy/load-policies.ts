/** Reads and validates every policies/*.yaml file. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { formatProblem } from '@flagship/evaluator';
import type { Policy } from './policy.ts';
import { validatePolicy } from './policy-schema.ts';

export interface LoadedPolicies {
  policies: Map<string, Policy>;
  /** `file: path: message` for every problem; a file with problems is not loaded. */
  problems: string[];
}

/** Parses one YAML document with limits that a hostile file cannot exhaust (aliases, size). */
export function parsePolicyYaml(text: string): unknown {
  if (text.length > 256 * 1024) throw new Error('policy file larger than 256 KiB');
  return parse(text, { maxAliasCount: 50, uniqueKeys: true, prettyErrors: false });
}

/** Loads every `*.yaml` / `*.yml` in `dir`; a policy's name must match its file name. */
export async function loadPolicies(dir: string): Promise<LoadedPolicies> {
  const policies = new Map<string, Policy>();
  const problems: string[] = [];
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parsePolicyYaml(await readFile(join(dir, file), 'utf8'));
    } catch (error) {
      problems.push(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const checked = validatePolicy(doc);
    if (!checked.ok) {
      for (const p of checked.problems) problems.push(`${file}: ${formatProblem(p)}`);
      continue;
    }
    const expected = file.replace(/\.ya?ml$/, '');
    if (checked.value.name !== expected) { problems.push(`${file}: name: must match the file name ("${expected}")`); continue; }
    policies.set(checked.value.name, checked.value);
  }
  return { policies, problems };
}
