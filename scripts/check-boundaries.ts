/**
 * `npm run check:boundaries` (part of `npm test`): prints each import or comment that breaks a rule
 * of scripts/checks/boundary-rules.ts as `file:line -> import (rule)` and exits 1 when there is one.
 */
import { fileURLToPath } from 'node:url';
import { checkBoundaries } from './checks/boundary-rules.ts';
import { readProject } from './checks/project.ts';

const project = readProject(fileURLToPath(new URL('..', import.meta.url)));
const violations = checkBoundaries(project);
for (const v of violations) console.error(`${v.file}:${v.line} -> ${v.subject} (${v.rule})`);
if (violations.length > 0) {
  console.error(
    `check-boundaries: ${violations.length} violation(s) in ${new Set(violations.map((v) => v.file)).size} file(s)`,
  );
  process.exit(1);
}
console.log(`check-boundaries: ${project.files.length} files, no import cycles, boundaries and layering respected`);
