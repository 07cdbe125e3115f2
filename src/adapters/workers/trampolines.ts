/**
 * Emscripten puts a JavaScript callback into a wasm function table by
 * wrapping it in a tiny module made on the spot, one per call signature
 * (`convertJsFunctionToWasm`): a type, an import `e.f` of that type, and the
 * same function exported as `f`. Workers forbid compiling even that at run
 * time, so the modules for the signatures satori's harfbuzz uses are built
 * once, stored under trampolines/ and uploaded with the Worker. This is the
 * byte recipe Emscripten uses (lengths always as two-byte LEB128), so the
 * bytes it asks to compile can be matched to the stored module.
 */
const TYPE_CODES: Record<string, number> = { i: 0x7f, p: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c, e: 0x6f };

/** A vector with its length as two LEB128 bytes, as Emscripten writes it. */
const vector = (items: number[]) => [(items.length % 128) | 128, items.length >> 7, ...items];

const types = (codes: string) =>
  vector(
    [...codes].map((c) => {
      const code = TYPE_CODES[c];
      if (code === undefined) throw new Error(`[opentime] [trampolines] unknown signature letter ${JSON.stringify(c)}`);
      return code;
    }),
  );

/** The module Emscripten compiles for a signature such as `viiiffi` (first letter: the result, `v` for none). */
export function trampolineBytes(signature: string): Uint8Array {
  const result = signature[0] === 'v' ? '' : signature.slice(0, 1);
  return Uint8Array.of(
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    1,
    ...vector([1, 0x60, ...types(signature.slice(1)), ...types(result)]),
    ...[2, 7, 1, 1, 0x65, 1, 0x66, 0, 0],
    ...[7, 5, 1, 1, 0x66, 0, 0],
  );
}

/**
 * The signatures satori 0.63's harfbuzz passes to addFunction, with `p`
 * (a pointer) written as `i`: the same wasm type, so the same module.
 */
export const TRAMPOLINE_SIGNATURES = ['vi', 'viiii', 'viiiffi', 'viiiffffi', 'viiiffffffi', 'iiiii', 'iiiiii', 'iiiiiii'] as const;

/** SHA-256 of harfbuzzjs 0.10.0's hb.wasm: the harfbuzz build satori 0.63 embeds, byte for byte. */
export const HARFBUZZ_SHA256 = 'd2ab975172d6103e7624e8f7f03fea2316eca6fe562e1b80fc7f7058b283a6d0';
export const HARFBUZZ_BYTES = 381_964;
