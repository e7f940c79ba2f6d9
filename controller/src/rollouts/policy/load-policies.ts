/** Reads and validates every policies/*.yaml file. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProblem } from '@flagship/evaluator';
import { readYamlDocument, type YamlLimits } from '../../http/yaml-document.ts';
import type { Policy } from './policy.ts';
import { validatePolicy } from './policy-schema.ts';

export interface LoadedPolicies {
  policies: Map<string, Policy>;
  /** `file: path: message` for every problem; a file with problems is not loaded. */
  problems: string[];
}

/** A policy is a few dozen lines: these bounds are far above any real one. */
export const POLICY_YAML_LIMITS: YamlLimits = { maxBytes: 256 * 1024, maxDepth: 32, maxNodes: 20_000 };

/**
 * Parses one policy file with the bounded reader the import route uses (size, depth, node count,
 * alias expansion, core-schema tags only); throws an Error whose message names the problem and
 * its line, which becomes a start-up problem.
 */
export function parsePolicyYaml(text: string | Uint8Array): unknown {
  const read = readYamlDocument(text, POLICY_YAML_LIMITS);
  if (!read.ok) throw new Error(`${read.problem.message} (${read.problem.code})`);
  return read.value;
}

/** Loads every `*.yaml` / `*.yml` in `dir`; a policy's name must match its file name. */
export async function loadPolicies(dir: string): Promise<LoadedPolicies> {
  const policies = new Map<string, Policy>();
  const problems: string[] = [];
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    let doc: unknown;
    try {
      // Bytes, not 'utf8': invalid UTF-8 is a problem to report, not characters to replace.
      doc = parsePolicyYaml(await readFile(join(dir, file)));
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
    if (checked.value.name !== expected) {
      problems.push(`${file}: name: must match the file name ("${expected}")`);
      continue;
    }
    policies.set(checked.value.name, checked.value);
  }
  return { policies, problems };
}
