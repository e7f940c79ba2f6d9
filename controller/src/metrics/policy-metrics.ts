/**
 * The ramp policies' metrics, offered as metric definitions (read-only: they change with the
 * policy files). A comparison metric is a ratio (errors over total: lower is better); a threshold
 * metric is one value per variant, better on the side of its bound (a `max`: lower).
 */
import type { PolicyCatalog } from '../rollouts/rollout-service.ts';
import type { Policy, PolicyMetric } from '../rollouts/policy/policy.ts';
import type { MetricDefinition } from './metric-definition.ts';

/** Where a listed definition comes from: the project's own, or a policy's (read-only). */
export type MetricSource = 'project' | `policy:${string}`;

/** A policy metric's key: never a project key (those are slugs, without `:`). */
export const policyMetricKey = (policy: string, metric: string) => `policy:${policy}:${metric}`;

function definitionOf(policy: Policy, m: PolicyMetric): MetricDefinition {
  const common = {
    key: policyMetricKey(policy.name, m.name),
    name: `${m.name} (policy ${policy.name})`,
    description: `Metric ${m.name} of ramp policy ${policy.name}`,
  };
  return m.kind === 'comparison'
    ? { ...common, kind: 'ratio', better: 'lower', numerator: m.errorsQuery, denominator: m.totalQuery }
    : { ...common, kind: 'quantile', better: m.max !== undefined ? 'lower' : 'higher', query: m.query };
}

/** Every loaded policy's metrics as definitions, by policy then metric order. */
export function policyMetricDefinitions(policies: PolicyCatalog): Array<MetricDefinition & { source: MetricSource }> {
  return policies
    .list()
    .flatMap((p) => p.metrics.map((m) => ({ ...definitionOf(p, m), source: `policy:${p.name}` as const })));
}
