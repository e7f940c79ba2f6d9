import { describe, expect, it } from 'vitest';
import { assembleSiphash } from '../../../tools/build-siphash-wasm.ts';
import { SIPHASH_WASM_BASE64 } from './siphash24-wasm-bytes.ts';

describe('the committed WebAssembly bytes', () => {
  it('are exactly what the text in siphash24-wat.ts assembles to', async () => {
    const fresh = Buffer.from(await assembleSiphash()).toString('base64');
    expect(SIPHASH_WASM_BASE64).toBe(fresh);
  });
});
