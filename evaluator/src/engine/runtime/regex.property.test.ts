/**
 * Property test of `matches`: for generated patterns (nested and bounded quantifiers,
 * alternations, classes, anchors) and hostile 1,024-character inputs, the engine's answer equals
 * the reference RE2 matcher of regex-corpus.ts (a position-set simulation over the generator's own
 * tree). Seeded: a failure prints the seed, pattern and input length to reproduce it.
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from '../compile-snapshot.ts';
import { compileRegex, MAX_REGEX_PROGRAM } from './regex.ts';
import { adversarialInputs, generateRegex, printRegex, referenceTest, rng, sampleMatch } from './regex-corpus.ts';
import { makeFlag, makeSnapshot } from '../test-support.ts';

const SEED = 0x8e2;
const PATTERNS = 250;

describe('matches equals RE2 semantics on generated patterns', () => {
  it(`agrees with the reference matcher on ${PATTERNS} patterns x hostile and sample inputs (seed ${SEED})`, () => {
    const random = rng(SEED);
    let accepted = 0;
    let positives = 0;
    let cases = 0;
    for (let i = 0; i < PATTERNS; i++) {
      const tree = generateRegex(random, 4);
      const pattern = printRegex(tree);
      const compiled = compileRegex([pattern]);
      if (!compiled.ok) {
        // The generator writes only valid RE2, so the one allowed refusal is the size bound.
        expect(compiled.refusal.message, pattern).toMatch(
          new RegExp(`^regex too large: its program has \\d+ instructions \\(at most ${MAX_REGEX_PROGRAM}\\)$`),
        );
        continue;
      }
      accepted++;
      const inputs = [
        ...adversarialInputs(tree, random),
        sampleMatch(tree, random),
        `x${sampleMatch(tree, random)}\n`,
        '',
      ];
      for (const input of inputs) {
        const expected = referenceTest(tree, input);
        cases++;
        if (expected) positives++;
        expect(
          compiled.regex.test(input),
          `seed ${SEED} pattern ${JSON.stringify(pattern)} input length ${input.length}`,
        ).toBe(expected);
      }
    }
    // The corpus must exercise both answers and mostly accepted patterns, or the test proves little.
    expect(accepted).toBeGreaterThan(PATTERNS * 0.8);
    expect(positives).toBeGreaterThan(cases * 0.2);
    expect(cases - positives).toBeGreaterThan(cases * 0.2);
  });

  it('the engine condition gives the same answer as the compiled regex (strings and arrays)', () => {
    const random = rng(SEED + 1);
    for (let i = 0; i < 40; i++) {
      const tree = generateRegex(random, 3);
      const pattern = printRegex(tree);
      if (!compileRegex([pattern]).ok) continue;
      const engine = compileSnapshot(
        makeSnapshot([
          makeFlag('f', {
            rules: [
              { conditions: [{ attribute: 'v', op: 'matches', values: [pattern] }], serve: { variant: 'treatment' } },
            ],
          }),
        ]),
      );
      for (const input of adversarialInputs(tree, random).slice(2, 5)) {
        const expected = referenceTest(tree, input) ? 'treatment' : 'control';
        expect(engine.evaluate('f', { targetingKey: 'u', v: input }).variant, pattern).toBe(expected);
        expect(engine.evaluate('f', { targetingKey: 'u', v: ['#', input] }).variant, pattern).toBe(
          referenceTest(tree, '#') ? 'treatment' : expected,
        );
      }
    }
  });

  it('the size probe never refuses a pattern whose real program fits (counts up to 40)', () => {
    const random = rng(SEED + 2);
    let probed = 0;
    for (let i = 0; i < 300; i++) {
      // Generated patterns with their repeat counts scaled up, so the capped probe has work to do.
      const pattern = printRegex(generateRegex(random, 3)).replace(
        /\{(\d+)(,(\d*))?\}/g,
        (_, n: string, comma?: string, m?: string) => {
          const big = (x: string) => Number(x) * (1 + Math.floor(random() * 10));
          if (comma === undefined) return `{${big(n)}}`;
          return m === undefined || m === '' ? `{${big(n)},}` : `{${big(n)},${big(n) + big(m)}}`;
        },
      );
      let real: number;
      try {
        real = RE2JS.compile(pattern).programSize();
      } catch {
        continue;
      }
      const result = compileRegex([pattern]);
      if (!result.ok && result.refusal.message.includes('repeat counts cut')) probed++;
      expect(result.ok, `${pattern} has ${real} instructions`).toBe(real <= MAX_REGEX_PROGRAM);
    }
    expect(probed).toBeGreaterThan(10);
  });
});
