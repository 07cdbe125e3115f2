import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/adapters/node/files.ts';
import { HARFBUZZ_BYTES, HARFBUZZ_SHA256, TRAMPOLINE_SIGNATURES, trampolineBytes } from '../../../src/adapters/workers/trampolines.ts';

/**
 * The Worker answers satori's run-time wasm compilations with modules
 * uploaded beside it (src/adapters/workers/harfbuzz.ts). These checks run on
 * Node, where satori compiles freely, and fail with a clear message when a
 * satori upgrade changes what it compiles, before any Worker breaks.
 */
const stored = (signature: string) => new Uint8Array(readFileSync(resolve(PROJECT_ROOT, `src/adapters/workers/trampolines/${signature}.wasm`)));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('precompiled wasm for satori on Workers', () => {
  it('stores each wrapper module exactly as Emscripten’s recipe builds it, and each is valid wasm', () => {
    for (const signature of TRAMPOLINE_SIGNATURES) {
      expect(hex(stored(signature)), signature).toBe(hex(trampolineBytes(signature)));
      expect(WebAssembly.Module.exports(new WebAssembly.Module(stored(signature)))).toEqual([{ name: 'f', kind: 'function' }]);
    }
  });

  it('recognises the harfbuzz that satori embeds: harfbuzzjs’s hb.wasm, byte for byte', () => {
    const uploaded = new Uint8Array(readFileSync(resolve(PROJECT_ROOT, 'node_modules/harfbuzzjs/hb.wasm')));
    expect([uploaded.byteLength, sha256(uploaded)]).toEqual([HARFBUZZ_BYTES, HARFBUZZ_SHA256]);
    const bundle = readFileSync(resolve(PROJECT_ROOT, 'node_modules/satori/dist/standalone.js'), 'utf8');
    const embedded = [...bundle.matchAll(/"([A-Za-z0-9+/=]{100000,})"/g)].map((m) => sha256(Buffer.from(m[1] as string, 'base64')));
    expect(embedded).toContain(HARFBUZZ_SHA256);
  });

  it('has a stored module for every wrapper satori compiles while it draws text', () => {
    // A fresh process: satori compiles its wrappers once, when first imported and first drawing.
    const script = `
      import { readFileSync } from 'node:fs';
      const seen = new Set();
      const Original = WebAssembly.Module;
      WebAssembly.Module = new Proxy(Original, { construct(target, args, newTarget) {
        if (args[0].byteLength <= 64) seen.add(Buffer.from(args[0]).toString('hex'));
        return Reflect.construct(target, args, newTarget);
      } });
      const { default: satori, init } = await import('satori/standalone');
      await init(readFileSync('node_modules/satori/layout.wasm'));
      const fonts = [400, 700].map((weight) => ({ name: 'Inter', data: readFileSync(weight === 400 ? 'fonts/Inter-Regular.ttf' : 'fonts/Inter-Bold.ttf'), weight, style: 'normal' }));
      const text = (children, fontWeight) => ({ type: 'div', props: { style: { display: 'flex', fontFamily: 'Inter', fontWeight, fontSize: 20, textDecoration: 'line-through' }, children } });
      await satori({ type: 'div', props: { style: { display: 'flex', flexDirection: 'column' }, children: [text('Still thinking — 45,00 $ →', 400), text('Ünïcødé fi ffl', 700)] } }, { width: 400, height: 100, fonts });
      process.stdout.write(JSON.stringify([...seen]));
    `;
    const seen = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' })) as string[];
    expect(seen.length).toBeGreaterThan(0);
    const available = TRAMPOLINE_SIGNATURES.map((signature) => hex(stored(signature)));
    for (const module of seen) expect(available, `satori compiled a wrapper with no stored module: ${module}`).toContain(module);
  });
});
