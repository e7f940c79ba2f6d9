/** A string flag serving `value` (variant `on`) by default: the SDK's unit tests' flag. */
import type { SnapshotFlag } from '@flagship/evaluator';

export const stringFlag = (key: string, value: string, extra: Partial<SnapshotFlag> = {}): SnapshotFlag => ({
  key,
  type: 'string',
  variants: { on: value, off: 'off' },
  salt: 'a3f1c2d4e5b60718293a4b5c6d7e8f90',
  version: 1,
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
  ...extra,
});
