import { describe, expect, it } from 'vitest';
import { BodyProblem, jsonDepthExceeds, parseRequestContext } from './request-context.ts';

const buf = (s: string) => Buffer.from(s);

describe('jsonDepthExceeds', () => {
  it('counts object and array nesting, not brackets inside strings or after escapes', () => {
    expect(jsonDepthExceeds(buf('{"a":[{"b":1}]}'), 3)).toBe(false);
    expect(jsonDepthExceeds(buf('{"a":[{"b":[1]}]}'), 3)).toBe(true);
    expect(jsonDepthExceeds(buf(`{"s":"${'['.repeat(100)}"}`), 1)).toBe(false);
    expect(jsonDepthExceeds(buf(`{"s":"\\"${'{'.repeat(100)}"}`), 1)).toBe(false);
    expect(jsonDepthExceeds(buf('[[],[],[],[]]'), 2)).toBe(false);
  });
});

describe('parseRequestContext', () => {
  it('returns the context of a valid body', () => {
    expect(parseRequestContext(buf('{"context":{"targetingKey":"u","n":1}}'), 32)).toEqual({ targetingKey: 'u', n: 1 });
    expect(parseRequestContext(buf('{"context":{}}'), 32)).toEqual({});
  });

  it('turns every bad body into an OFREP problem', () => {
    const code = (body: string, depth = 32) => {
      const r = parseRequestContext(buf(body), depth);
      return r instanceof BodyProblem ? r.errorCode : 'ok';
    };
    expect(code('')).toBe('PARSE_ERROR');
    expect(code('{"context":')).toBe('PARSE_ERROR');
    expect(code('null')).toBe('INVALID_CONTEXT');
    expect(code('"x"')).toBe('INVALID_CONTEXT');
    expect(code('{}')).toBe('INVALID_CONTEXT');
    expect(code('{"context":[]}')).toBe('INVALID_CONTEXT');
    expect(code('{"context":"u"}')).toBe('INVALID_CONTEXT');
    expect(code('{"context":{"targetingKey":1}}')).toBe('INVALID_CONTEXT');
    expect(code('{"context":{"targetingKey":null}}')).toBe('INVALID_CONTEXT');
    // depth 32 inside the context is allowed, 33 is not
    expect(code(`{"context":${'{"a":'.repeat(31)}{}${'}'.repeat(31)}}`)).toBe('ok');
    expect(code(`{"context":${'{"a":'.repeat(32)}{}${'}'.repeat(32)}}`)).toBe('INVALID_CONTEXT');
  });
});
