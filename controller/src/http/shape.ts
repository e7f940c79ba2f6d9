/**
 * Checks the envelope of a request body (the JSON types of its top-level fields, required and
 * unknown fields) and reports every problem with its path: these are 400s. What the flag model
 * says about a field's contents is the validators' job (422).
 */
import type { Problem } from '@flagship/evaluator';
import { badRequest } from '../errors/domain-errors.ts';
import { fieldPath } from './problem-path.ts';

export type FieldType = 'string' | 'integer' | 'boolean' | 'object' | 'array' | 'string[]' | 'any';
export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  /** Maximum string length / array size. */
  max?: number;
  /** Allowed string values. */
  oneOf?: readonly string[];
  nullable?: boolean;
}
export type Shape = Record<string, FieldSpec>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeProblem(v: unknown, spec: FieldSpec): string | undefined {
  if (v === null) return spec.nullable ? undefined : 'must not be null';
  switch (spec.type) {
    case 'any':
      return undefined;
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      if (spec.max !== undefined && v.length > spec.max) return `must be at most ${spec.max} characters`;
      if (spec.oneOf && !spec.oneOf.includes(v)) return `must be one of ${spec.oneOf.join(', ')}`;
      return undefined;
    case 'integer':
      return Number.isSafeInteger(v) ? undefined : 'must be an integer';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'must be a boolean';
    case 'object':
      return isObject(v) ? undefined : 'must be an object';
    case 'array':
      if (!Array.isArray(v)) return 'must be an array';
      return spec.max !== undefined && v.length > spec.max ? `must have at most ${spec.max} items` : undefined;
    case 'string[]':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return 'must be an array of strings';
      return spec.max !== undefined && v.length > spec.max ? `must have at most ${spec.max} items` : undefined;
  }
}

/** Problems of `value` against `shape`; `value` must be an object. */
export function shapeProblems(value: unknown, shape: Shape, path = ''): Problem[] {
  if (!isObject(value)) return [{ path, message: 'must be a JSON object' }];
  const problems: Problem[] = [];
  for (const key of Object.keys(value)) {
    if (!(key in shape)) problems.push({ path: fieldPath(path, key), message: 'unknown field' });
  }
  for (const [key, spec] of Object.entries(shape)) {
    const v = value[key];
    if (v === undefined) {
      if (spec.required) problems.push({ path: fieldPath(path, key), message: 'is required' });
      continue;
    }
    const p = typeProblem(v, spec);
    if (p) problems.push({ path: fieldPath(path, key), message: p });
  }
  return problems;
}

/** Throws 400 with every problem unless `value` fits `shape`. */
export function checkShape(
  value: unknown,
  shape: Shape,
  what = 'request body',
): asserts value is Record<string, unknown> {
  const problems = shapeProblems(value, shape);
  if (problems.length > 0) throw badRequest(`the ${what} is malformed`, problems);
}
