/**
 * Where the product's Prometheus rules live (docs/slo.md), for whatever loads them: the private
 * Prometheus of `npm start` (scripts/stack/local-stack.ts), the rules' tests.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the rule files, absolute. */
export const RULES_DIR = fileURLToPath(new URL('./rules/', import.meta.url));

/** The folder of the promtool unit tests, absolute. */
export const RULE_TESTS_DIR = fileURLToPath(new URL('./tests/', import.meta.url));

/** Every rule file (`*.rules.yml`), absolute paths, sorted. */
export function flagshipRuleFiles(): string[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.rules.yml'))
    .sort()
    .map((f) => RULES_DIR + f);
}
