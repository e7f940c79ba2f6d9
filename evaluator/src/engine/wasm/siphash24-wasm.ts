/**
 * Loads the SipHash-2-4 WebAssembly module synchronously (976 bytes: small enough for the
 * synchronous API in browsers too). Returns undefined where WebAssembly is unavailable or
 * forbidden (e.g. a CSP without wasm-unsafe-eval); callers then use the JavaScript version.
 */
import { SIPHASH_WASM_BASE64 } from './siphash24-wasm-bytes.ts';

/** An instantiated module: its memory and its one function. */
export interface SipHashWasm {
  /** The module's memory; the message goes at MESSAGE_OFFSET, the last hash is at 0..7. */
  bytes: Uint8Array;
  bucket(k0lo: number, k0hi: number, k1lo: number, k1hi: number, length: number): number;
}

/**
 * The part of the WebAssembly JS API used here, typed locally: the Node-typed build does not
 * declare it, and the DOM lib's `Exports` cannot know this module's functions.
 */
interface WebAssemblyApi {
  Module: new (code: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: object,
  ) => { exports: { memory: { buffer: ArrayBuffer }; bucket: SipHashWasm['bucket'] } };
}

/** Compiles and instantiates the module (0.3-0.4 ms measured here); undefined where that is not possible. */
export function loadSipHashWasm(): SipHashWasm | undefined {
  try {
    const api = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (api === undefined || typeof atob !== 'function') return undefined;
    const text = atob(SIPHASH_WASM_BASE64);
    const code = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) code[i] = text.charCodeAt(i);
    const { exports } = new api.Instance(new api.Module(code), {});
    // The module never grows its memory, so this view stays valid for the process's life.
    return { bytes: new Uint8Array(exports.memory.buffer), bucket: exports.bucket };
  } catch {
    return undefined;
  }
}
