import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/io/half-float.js';

function pythonHas(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Exact float32 bit patterns: JSON cannot carry -0, Infinity or every float exactly. */
const bitsOf = (values: number[]) => Array.from(new Uint32Array(Float32Array.from(values).buffer));

/** Float32 values across the half range: normals, subnormals, ties, overflow, specials. */
function sampleValues(): number[] {
  const rng = new Rng(12);
  const out = [
    0,
    -0,
    1,
    -1,
    65504,
    65519,
    65520,
    1e6,
    2 ** -14,
    2 ** -24,
    2 ** -25,
    3 * 2 ** -25,
    2 ** -26,
    Infinity,
    -Infinity,
  ];
  for (let i = 0; i < 5000; i++) {
    const mag = 2 ** rng.intBetween(-30, 20);
    out.push(Math.fround((rng.nextFloat() * 2 - 1) * mag));
  }
  // Exact ties between two halves: (2k + 1) · 2^-11 around 1.
  for (let k = 0; k < 50; k++) out.push(1 + (2 * k + 1) * 2 ** -11);
  return out;
}

describe('half-float conversions', () => {
  it('decode every F16 bit pattern consistently with encode', () => {
    // Counting mismatches instead of one expect per pattern keeps this fast.
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const x = f16ToF32(h);
      if (!Number.isNaN(x) && f32ToF16(x) !== h) bad.push(h);
      const y = bf16ToF32(h);
      if (!Number.isNaN(y) && f32ToBf16(y) !== h) bad.push(h + 0x10000);
    }
    expect(bad).toEqual([]);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
    expect(Number.isNaN(f16ToF32(f32ToF16(Number.NaN)))).toBe(true);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(Number.NaN)))).toBe(true);
  });

  it.skipIf(!pythonHas('numpy'))('F16 rounding matches numpy on random values, ties and subnormals', () => {
    const values = sampleValues();
    const script =
      'import sys, json, numpy as np\n' +
      'v = np.array(json.load(sys.stdin), dtype=np.uint32).view(np.float32)\n' +
      'print(json.dumps(v.astype(np.float16).view(np.uint16).tolist()))';
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script], {
        input: JSON.stringify(bitsOf(values)),
        stdio: ['pipe', 'pipe', 'ignore'],
      }).toString(),
    ) as number[];
    expect(values.map(f32ToF16)).toEqual(ref);
  });

  it.skipIf(!pythonHas('torch'))('BF16 rounding matches PyTorch', () => {
    const values = sampleValues();
    const script =
      'import sys, json, numpy as np, torch\n' +
      't = torch.from_numpy(np.array(json.load(sys.stdin), dtype=np.uint32).view(np.float32)).bfloat16()\n' +
      'print(json.dumps([x & 0xffff for x in t.view(torch.int16).tolist()]))';
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script], {
        input: JSON.stringify(bitsOf(values)),
        stdio: ['pipe', 'pipe', 'ignore'],
        timeout: 120_000,
      }).toString(),
    ) as number[];
    expect(values.map(f32ToBf16)).toEqual(ref);
  });
});
