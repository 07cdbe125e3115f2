import harfbuzzModule from 'harfbuzzjs/hb.wasm';
import { HARFBUZZ_BYTES, HARFBUZZ_SHA256, TRAMPOLINE_SIGNATURES, trampolineBytes } from './trampolines.ts';
import iiiii from './trampolines/iiiii.wasm';
import iiiiii from './trampolines/iiiiii.wasm';
import iiiiiii from './trampolines/iiiiiii.wasm';
import vi from './trampolines/vi.wasm';
import viiiffffffi from './trampolines/viiiffffffi.wasm';
import viiiffffi from './trampolines/viiiffffi.wasm';
import viiiffi from './trampolines/viiiffi.wasm';
import viiii from './trampolines/viiii.wasm';

/**
 * satori shapes text and draws glyphs with harfbuzz (Emscripten), which its
 * bundle carries as bytes and compiles as soon as it is imported; for each
 * JavaScript callback it hands harfbuzz, Emscripten compiles a tiny wrapper
 * module too. Workers forbid compiling WebAssembly at run time ("Wasm code
 * generation disallowed by embedder"): only modules uploaded with the Worker
 * run, though any of those may be instantiated. So both compilations are
 * answered with uploaded modules:
 *
 * - `WebAssembly.instantiate(bytes)` of satori's harfbuzz gets harfbuzzjs's
 *   hb.wasm (satori's own dependency, the same bytes, recognised by SHA-256);
 * - `new WebAssembly.Module(bytes)` of a wrapper gets the stored module for
 *   its signature (see trampolines.ts; recognised by comparing every byte).
 *
 * Anything else goes to the runtime unchanged and fails there as before,
 * visibly: a satori that embeds another harfbuzz, or asks for a new
 * signature, breaks every render (the tests render), never silently.
 *
 * Emscripten's loader also reads `self.location.href` when it runs in a
 * worker scope, which Workers do not have; a placeholder is set while satori
 * is imported and removed by `satoriImported()` afterwards.
 *
 * This module must be evaluated before satori (src/worker.ts imports it first).
 */

const UPLOADED_TRAMPOLINES: Record<(typeof TRAMPOLINE_SIGNATURES)[number], WebAssembly.Module> = {
  vi,
  viiii,
  viiiffi,
  viiiffffi,
  viiiffffffi,
  iiiii,
  iiiiii,
  iiiiiii,
};

const bytesOf = (source: ArrayBuffer | ArrayBufferView) =>
  ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const isBytes = (source: unknown): source is ArrayBuffer | ArrayBufferView => source instanceof ArrayBuffer || ArrayBuffer.isView(source);

const trampolines = new Map<string, WebAssembly.Module>(TRAMPOLINE_SIGNATURES.map((signature) => [hex(trampolineBytes(signature)), UPLOADED_TRAMPOLINES[signature]]));
/** The wrappers are all shorter than this; longer bytes are not looked up. */
const TRAMPOLINE_MAX_BYTES = 64;

async function isHarfbuzz(source: ArrayBuffer | ArrayBufferView): Promise<boolean> {
  if (source.byteLength !== HARFBUZZ_BYTES) return false;
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytesOf(source) as Uint8Array<ArrayBuffer>))) === HARFBUZZ_SHA256;
}

const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
(WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
  if (isBytes(source) && (await isHarfbuzz(source))) {
    // Given bytes, instantiate answers with both the module and the instance.
    return { module: harfbuzzModule, instance: await instantiate(harfbuzzModule, imports) };
  }
  return instantiate(source, imports);
};

(WebAssembly as { Module: unknown }).Module = new Proxy(WebAssembly.Module, {
  construct(target, args: unknown[], newTarget) {
    const [source] = args;
    if (isBytes(source) && source.byteLength <= TRAMPOLINE_MAX_BYTES) {
      const uploaded = trampolines.get(hex(bytesOf(source)));
      if (uploaded) return uploaded;
    }
    return Reflect.construct(target, args, newTarget) as object;
  },
});

const scope = globalThis as { location?: unknown };
const placeholderLocation = scope.location === undefined;
if (placeholderLocation) scope.location = { href: 'https://opentime.invalid/' };

/** Call once satori has been imported: removes the placeholder `location` again. */
export function satoriImported(): void {
  if (placeholderLocation) delete scope.location;
}
