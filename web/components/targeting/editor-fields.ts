/** The config paths the targeting editor has a field (or a group) for, given the draft it shows. */
import type { FlagConfig, Serve } from '@flagship/evaluator';
import { isSegmentOperator } from './operator-kinds.ts';

function servePaths(out: Set<string>, path: string, serve: Serve): void {
  out.add(path);
  if ('split' in serve) {
    out.add(`${path}.split`);
    serve.split.forEach((_, k) => {
      out.add(`${path}.split[${k}]`);
      out.add(`${path}.split[${k}].variant`);
      out.add(`${path}.split[${k}].weight`);
    });
  } else {
    out.add(`${path}.variant`);
  }
}

/**
 * Every path the editor renders problems at. A problem's path that is not here is shown at its
 * nearest ancestor here (field-ids.ts placeProblems), or at the top.
 */
export function editorFieldPaths(config: FlagConfig, _variants?: readonly string[]): Set<string> {
  const out = new Set<string>(['prerequisites', 'targets', 'rules', 'offVariant', 'bucketBy', 'failMode']);
  config.prerequisites.forEach((_, i) => {
    out.add(`prerequisites[${i}]`);
    out.add(`prerequisites[${i}].flag`);
    out.add(`prerequisites[${i}].variant`);
  });
  // One textarea per variant, at the variant's first target entry.
  const seen = new Set<string>();
  config.targets.forEach((t, i) => {
    if (seen.has(t.variant)) return;
    seen.add(t.variant);
    out.add(`targets[${i}].values`);
  });
  config.rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    out.add(at);
    out.add(`${at}.description`);
    out.add(`${at}.conditions`);
    rule.conditions.forEach((c, j) => {
      const cp = `${at}.conditions[${j}]`;
      out.add(cp);
      if (!isSegmentOperator(c.op)) out.add(`${cp}.attribute`);
      out.add(`${cp}.op`);
      out.add(`${cp}.values`);
    });
    servePaths(out, `${at}.serve`, rule.serve);
  });
  servePaths(out, 'defaultRule', config.defaultRule);
  return out;
}
