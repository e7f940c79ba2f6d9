/** Valid inputs for the validation tests, as fresh JSON-shaped objects each call. */
import { formatProblem } from './problems.ts';
import type { Validated } from './problems.ts';

/** The formatted problems of a failed result (throws, failing the test, when it passed). */
export function problemsOf<T>(r: Validated<T>): string[] {
  if (r.ok) throw new Error('expected validation to fail');
  return r.problems.map(formatProblem);
}

/** A valid boolean flag definition. */
export function flagInput(): Record<string, unknown> {
  return {
    key: 'new-checkout',
    type: 'boolean',
    description: 'The redesigned checkout',
    tags: ['checkout', 'team-payments'],
    variants: { on: true, off: false },
    salt: '0123456789abcdef0123456789abcdef',
  };
}

/** A valid configuration for {@link flagInput}, using every feature once. */
export function configInput(): Record<string, unknown> {
  return {
    enabled: true,
    offVariant: 'off',
    prerequisites: [{ flag: 'payments-v2', variant: 'on' }],
    targets: [
      { variant: 'on', values: ['u1', 'u2'] },
      { variant: 'off', values: ['u3'] },
    ],
    rules: [
      {
        id: 'staff',
        description: 'Staff see it first',
        conditions: [
          { attribute: 'email', op: 'endsWith', values: ['@acme.com'] },
          { attribute: 'email', op: 'matches', values: ['^[a-z0-9._%+-]+@example\\.com$'] },
        ],
        serve: { variant: 'on' },
      },
      {
        id: 'beta',
        conditions: [
          { attribute: '', op: 'inSegment', values: ['beta-users'] },
          { attribute: 'appVersion', op: 'semverGte', values: ['2.1.0-rc.1'] },
          { attribute: 'signupDate', op: 'after', values: ['2024-01-31T09:00:00Z', 1700000000000] },
          { attribute: 'age', op: 'gte', values: [18] },
          { attribute: 'country', op: 'in', values: ['DE', 'FR', 49] },
        ],
        serve: {
          split: [
            { variant: 'on', weight: 25_000 },
            { variant: 'off', weight: 75_000 },
          ],
        },
      },
    ],
    defaultRule: { variant: 'off' },
    bucketBy: 'accountId',
    failMode: 'last',
  };
}

/** A valid segment. */
export function segmentInput(): Record<string, unknown> {
  return {
    key: 'beta-users',
    description: 'Opted in to betas',
    version: 3,
    included: ['u1', 'u2'],
    excluded: ['u9'],
    rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }] }],
  };
}

/** A valid snapshot with two flags (one a prerequisite of the other) and one segment. */
export function snapshotInput(): Record<string, unknown> {
  return {
    environment: 'production',
    version: 42,
    createdAt: '2025-01-31T09:00:00.000Z',
    flags: {
      'new-checkout': { ...flagInput(), ...configInput(), version: 7 },
      'payments-v2': {
        key: 'payments-v2',
        type: 'boolean',
        variants: { on: true, off: false },
        salt: 'ffffffffffffffffffffffffffffffff',
        enabled: true,
        offVariant: 'off',
        prerequisites: [],
        targets: [],
        rules: [],
        defaultRule: { variant: 'on' },
        version: 1,
      },
    },
    segments: { 'beta-users': segmentInput() },
  };
}

/** A flag entry for a snapshot with the given prerequisites (on variant "on"). */
export function snapshotFlag(key: string, prerequisites: string[] = []): Record<string, unknown> {
  return {
    key,
    type: 'boolean',
    variants: { on: true, off: false },
    salt: '00000000000000000000000000000000',
    enabled: true,
    offVariant: 'off',
    prerequisites: prerequisites.map((flag) => ({ flag, variant: 'on' })),
    targets: [],
    rules: [],
    defaultRule: { variant: 'on' },
    version: 1,
  };
}
