/**
 * Whether the signed-in key may change metric definitions: they are project-wide (docs/api.md
 * "Metric definitions and impact"), so an editor key WITHOUT an environment list.
 */
import { hasRole, unrestricted } from '../../../../lib/access.ts';
import type { Who } from '../../../../lib/session.ts';

/** Why this key cannot write metric definitions; undefined when it can. */
export function metricWriteRefusal(who: Who): string | undefined {
  if (!hasRole(who, 'editor'))
    return `Your key (${who.role}) cannot change metric definitions (an editor key without an environment list can).`;
  if (!unrestricted(who))
    return `Your key is limited to ${who.environments!.join(', ')}: metric definitions are project-wide and need a key without an environment list.`;
  return undefined;
}
