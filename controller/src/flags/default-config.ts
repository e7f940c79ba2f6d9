import type { Flag, FlagConfig } from '@flagship/evaluator';

/** A new flag's config in every environment: off, serving its first variant. */
export function defaultConfig(flag: Flag): FlagConfig {
  const offVariant = Object.keys(flag.variants)[0]!;
  return {
    enabled: false,
    offVariant,
    prerequisites: [],
    targets: [],
    rules: [],
    defaultRule: { variant: offVariant },
  };
}
