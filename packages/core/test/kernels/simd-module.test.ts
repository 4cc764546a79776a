/**
 * core's WebAssembly SIMD kernels (packages/core/wasm/kernels.c): the
 * embedded binary imports nothing but a memory and carries no data segment
 * (it runs inside the backend's heap), exports what instance.ts declares, and
 * matches its C source when the toolchain is here to rebuild it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNELS_WASM_BASE64 } from '../../src/kernels/simd/kernels-wasm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const hasToolchain = ['clang-14', 'wasm-ld-14', 'llvm-objdump-14'].every(
  (tool) => spawnSync(tool, ['--version']).status === 0,
);
// The binary is reproducible with the compiler that built it (named in the generated file's header).
const sameCompiler =
  hasToolchain &&
  readFileSync(join(root, 'packages/core/src/kernels/simd/kernels-wasm.ts'), 'utf8').includes(
    `built with ${spawnSync('clang-14', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim()}.`,
  );

describe('wasm SIMD kernel module', () => {
  const bytes = new Uint8Array(Buffer.from(KERNELS_WASM_BASE64, 'base64'));

  it('imports only a memory, has no data segment, and exports the kernels instance.ts declares', () => {
    const mod = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const exported = WebAssembly.Module.exports(mod)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    expect(exported).toEqual(
      [
        'adamw',
        'bmm',
        'cast_f32_i32',
        'compare',
        'cumsum_last',
        'gather_rows',
        'gelu',
        'gelu_grad',
        'layer_norm',
        'layer_norm_grad',
        'min_max',
        'segment_sum',
        'sum_leading',
        'transpose',
      ].sort(),
    );
    // Section id 11 is the data section; walk the section headers.
    const ids: number[] = [];
    let at = 8;
    while (at < bytes.length) {
      const id = bytes[at++]!;
      let size = 0;
      let shift = 0;
      for (;;) {
        const byte = bytes[at++]!;
        size |= (byte & 0x7f) << shift;
        shift += 7;
        if (byte < 0x80) break;
      }
      ids.push(id);
      at += size;
    }
    expect(ids).toContain(10); // code
    expect(ids).not.toContain(11); // data
  });

  it.skipIf(!sameCompiler)('is what scripts/build-wasm-kernels.mjs builds from kernels.c', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build-wasm-kernels.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('matches');
    expect(r.status).toBe(0);
  });
});
