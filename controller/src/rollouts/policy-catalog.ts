import type { Policy } from './policy/policy.ts';
import type { PolicyCatalog } from './rollout-service.ts';

/** Policies by name, as loaded at start. */
export class MapPolicyCatalog implements PolicyCatalog {
  constructor(private readonly policies: ReadonlyMap<string, Policy>) {}
  get(name: string): Policy | undefined {
    return this.policies.get(name);
  }
  list(): Policy[] {
    return [...this.policies.values()];
  }
}
