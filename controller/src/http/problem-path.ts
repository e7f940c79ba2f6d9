/**
 * Problem paths in the validators' style (`rules[2].conditions[0].op`, `''` for the root), so a
 * client reads one notation whether a problem came from the envelope or the model.
 */
const PLAIN = /^[A-Za-z0-9_$-]{1,64}$/;

/** `base.key`, or `base["odd.key"]` when the key would be ambiguous after a dot. */
export function fieldPath(base: string, key: string): string {
  if (PLAIN.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)}]`;
}

/** A path relative to `prefix` (a validator's path under an envelope field). */
export function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix;
  if (prefix === '' || path.startsWith('[')) return `${prefix}${path}`;
  return `${prefix}.${path}`;
}
