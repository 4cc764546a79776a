import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  initBackend,
  LabError,
  Rng,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../src/index.js';

/** A file assembled by hand from the published layout: u64 LE header length, JSON header, raw data. */
function buildFile(header: string, dataHex: string, headerLength?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const hex = dataHex.replace(/\s+/g, '');
  const data = Uint8Array.from({ length: hex.length / 2 }, (_, i) =>
    Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  );
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const HAND_HEADER = JSON.stringify({
  __metadata__: { format: 'pt', note: 'built by hand' },
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  h: { dtype: 'F16', shape: [4], data_offsets: [8, 16] },
  b: { dtype: 'BF16', shape: [2], data_offsets: [16, 20] },
  i: { dtype: 'I64', shape: [2], data_offsets: [20, 36] },
  j: { dtype: 'I32', shape: [1, 2], data_offsets: [36, 44] },
  u: { dtype: 'U8', shape: [2], data_offsets: [44, 46] },
  z: { dtype: 'BOOL', shape: [3], data_offsets: [46, 49] },
  d: { dtype: 'F64', shape: [], data_offsets: [49, 57] },
  e: { dtype: 'F32', shape: [0, 3], data_offsets: [57, 57] },
});
const HAND_DATA = `
  0000c03f 000000c0
  003c 00c0 ff7b 0100
  803f 4940
  ffffffffffffffff ffffff7f00000000
  07000000 fdffffff
  00ff
  010001
  9a9999999999b93f`;

function expectInvalid(fn: () => unknown, context: Record<string, unknown>): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('SAFETENSORS_INVALID');
    expect((err as LabError).context).toMatchObject(context);
    return;
  }
  expect.fail('expected SAFETENSORS_INVALID');
}

describe('safetensors', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = mkdtempSync(join(tmpdir(), 'lab-st-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file built byte by byte from the format description', async () => {
    const path = join(dir, 'hand.safetensors');
    writeFileSync(path, buildFile(HAND_HEADER, HAND_DATA));
    const { tensors, metadata } = await readSafetensors(path);
    try {
      expect(metadata).toEqual({ format: 'pt', note: 'built by hand' });
      expect(Object.keys(tensors)).toEqual(['a', 'h', 'b', 'i', 'j', 'u', 'z', 'd', 'e']);
      expect(Array.from(tensors.a!.dataSync())).toEqual([1.5, -2]);
      // F16: 1, -2, the largest half (65504) and the smallest subnormal (2^-24).
      expect(tensors.h!.dtype).toBe('float32');
      expect(Array.from(tensors.h!.dataSync())).toEqual([1, -2, 65504, 2 ** -24]);
      expect(Array.from(tensors.b!.dataSync())).toEqual([1, 3.140625]);
      expect(tensors.i!.dtype).toBe('int32');
      expect(Array.from(tensors.i!.dataSync())).toEqual([-1, 2147483647]);
      expect(tensors.j!.shape).toEqual([1, 2]);
      expect(Array.from(tensors.j!.dataSync())).toEqual([7, -3]);
      expect(Array.from(tensors.u!.dataSync())).toEqual([0, 255]);
      expect(tensors.z!.dtype).toBe('bool');
      expect(Array.from(tensors.z!.dataSync())).toEqual([1, 0, 1]);
      expect(tensors.d!.shape).toEqual([]);
      expect(tensors.d!.dataSync()[0]).toBeCloseTo(0.1, 7);
      expect(tensors.e!.shape).toEqual([0, 3]);
    } finally {
      tf.dispose(Object.values(tensors));
    }
    const header = await readSafetensorsHeader(path);
    expect(header.entries.map((e) => e.dtype)).toEqual([
      'F32',
      'F16',
      'BF16',
      'I64',
      'I32',
      'U8',
      'BOOL',
      'F64',
      'F32',
    ]);
  });

  it('I64 out of the int32 range is a clear error naming tensor and element', () => {
    const header = JSON.stringify({ big: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } });
    const bytes = buildFile(header, '0100000000000000 0000000001000000'); // 1, 2^32
    expect(() => decodeSafetensors(bytes, 'big.safetensors')).toThrow(
      expect.objectContaining({
        code: 'SAFETENSORS_VALUE_RANGE',
        context: expect.objectContaining({ tensor: 'big', index: 1, value: '4294967296' }),
      }),
    );
    const neg = buildFile(header, '0100000000000000 ffffff7fffffffff'); // 1, -2^31 - 1
    const before = tf.memory().numTensors;
    expect(() => decodeSafetensors(neg)).toThrow(
      expect.objectContaining({ code: 'SAFETENSORS_VALUE_RANGE' }),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round-trips tensors exactly and keeps tensor order and metadata', async () => {
    const rng = new Rng(8);
    const w = tf.tensor2d(
      Array.from({ length: 12 }, () => rng.normal()),
      [3, 4],
    );
    const ids = tf.tensor1d([0, -5, 2147483647, -2147483648], 'int32');
    const mask = tf.tensor1d([true, false, true], 'bool');
    const path = join(dir, 'rt.safetensors');
    const s = tf.scalar(3);
    await writeSafetensors(path, { 'z.w': w, ids, mask, __proto__x: s }, { metadata: { step: '7' } });
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const { tensors, metadata } = await readSafetensors(path);
    expect(metadata).toEqual({ step: '7' });
    expect(Object.keys(tensors)).toEqual(['z.w', 'ids', 'mask', '__proto__x']);
    expect(Array.from(tensors['z.w']!.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(Array.from(tensors.ids!.dataSync())).toEqual(Array.from(ids.dataSync()));
    expect(tensors.mask!.dtype).toBe('bool');
    expect(Array.from(tensors.mask!.dataSync())).toEqual([1, 0, 1]);
    tf.dispose([w, ids, mask, s, ...Object.values(tensors)]);
  });

  it('F16/BF16 storage rounds to nearest even and decodes to float32', () => {
    const values = [
      1,
      -2,
      0.1,
      65504,
      65520,
      1e-8,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
    ];
    const t = tf.tensor1d(values);
    const f16 = decodeSafetensors(encodeSafetensors({ t }, { floatDtype: 'F16' })).tensors.t!;
    // Half: 0.1 -> 0.0999755859375; 65520 overflows to Inf; 1e-8 underflows to 0; 2^-25 is a tie -> 0 (even);
    // 3*2^-25 -> 2^-23 (tie to even); 1+2^-11 is a tie -> 1 (even); 1+3*2^-11 -> 1+2^-9.
    expect(Array.from(f16.dataSync())).toEqual([
      1,
      -2,
      0.0999755859375,
      65504,
      Infinity,
      0,
      2 ** -24,
      0,
      2 ** -23,
      1,
      1 + 2 ** -9,
    ]);
    const t2 = tf.tensor1d([1, Math.PI, -0.1]);
    const bf = decodeSafetensors(encodeSafetensors({ t: t2 }, { floatDtype: 'BF16' })).tensors.t!;
    expect(Array.from(bf.dataSync())).toEqual([1, 3.140625, -0.10009765625]);
    tf.dispose([t, t2, f16, bf]);
  });

  it('writes raw I64/U8/F64 data and refuses values that do not fit', () => {
    const bytes = encodeSafetensors({
      a: { dtype: 'I64', shape: [3], data: [-3, 0, 2 ** 31 - 1] },
      b: { dtype: 'I64', shape: [1], data: new BigInt64Array([-7n]) },
      c: { dtype: 'U8', shape: [2], data: [0, 255] },
      d: { dtype: 'F64', shape: [1], data: [0.5] },
    });
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.a!.dataSync())).toEqual([-3, 0, 2 ** 31 - 1]);
    expect(Array.from(tensors.b!.dataSync())).toEqual([-7]);
    expect(Array.from(tensors.c!.dataSync())).toEqual([0, 255]);
    expect(Array.from(tensors.d!.dataSync())).toEqual([0.5]);
    tf.dispose(Object.values(tensors));
    expect(() => encodeSafetensors({ c: { dtype: 'U8', shape: [1], data: [256] } })).toThrow(
      expect.objectContaining({ code: 'SAFETENSORS_VALUE_RANGE' }),
    );
    expect(() => encodeSafetensors({ c: { dtype: 'U8', shape: [2], data: [1] } })).toThrow(
      expect.objectContaining({ code: 'SAFETENSORS_SHAPE' }),
    );
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: [1] } })).toThrow(
      expect.objectContaining({ code: 'SAFETENSORS_NAME' }),
    );
  });

  it('rejects malformed and hostile headers with the tensor and field', () => {
    const one = (entry: unknown, dataHex = '00000000') => buildFile(JSON.stringify({ w: entry }), dataHex);
    const ok = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    tf.dispose(Object.values(decodeSafetensors(one(ok)).tensors));
    expectInvalid(() => decodeSafetensors(new Uint8Array(5)), { field: 'header_length' });
    // Header length past the end of the file, and absurd (2^63): rejected before any allocation.
    expectInvalid(() => decodeSafetensors(buildFile('{}', '', 100n)), { field: 'header_length' });
    expectInvalid(() => decodeSafetensors(buildFile('{}', '', 2n ** 63n)), { field: 'header_length' });
    expectInvalid(() => decodeSafetensors(buildFile('{"w": ', '')), { field: 'header' });
    expectInvalid(() => decodeSafetensors(buildFile('[1, 2]', '')), { field: 'header' });
    expectInvalid(() => decodeSafetensors(buildFile('\u00ff', '').fill(0xff, 8, 9)), { field: 'header' });
    expectInvalid(() => decodeSafetensors(one({ ...ok, dtype: 'Q4' })), { tensor: 'w', field: 'dtype' });
    expectInvalid(() => decodeSafetensors(one({ ...ok, shape: [-1] })), { tensor: 'w', field: 'shape' });
    expectInvalid(() => decodeSafetensors(one({ ...ok, shape: [1.5] })), { tensor: 'w', field: 'shape' });
    expectInvalid(() => decodeSafetensors(one({ ...ok, shape: [2] })), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, shape: [2 ** 40, 2 ** 40] })), {
      tensor: 'w',
      field: 'shape',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, data_offsets: [0, -4] })), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, data_offsets: [4, 0] })), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, data_offsets: [0] })), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, data_offsets: [4, 8] }, '00'.repeat(8))), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one({ ...ok, data_offsets: [1e12, 1e12 + 4] })), {
      tensor: 'w',
      field: 'data_offsets',
    });
    expectInvalid(() => decodeSafetensors(one(ok, '00'.repeat(6))), { field: 'data_offsets' }); // trailing bytes
    expectInvalid(() => decodeSafetensors(one(ok, '0000')), { tensor: 'w', field: 'data_offsets' }); // past the end
    expectInvalid(() => decodeSafetensors(one('F32')), { tensor: 'w', field: 'entry' });
    expectInvalid(() => decodeSafetensors(buildFile('{"__metadata__": {"a": 1}}', '')), {
      field: '__metadata__',
    });
    const overlap = JSON.stringify({
      x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    });
    expectInvalid(() => decodeSafetensors(buildFile(overlap, '00'.repeat(12))), {
      tensor: 'y',
      field: 'data_offsets',
    });
    const gap = JSON.stringify({
      x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      y: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    });
    expectInvalid(() => decodeSafetensors(buildFile(gap, '00'.repeat(12))), {
      tensor: 'y',
      field: 'data_offsets',
    });
  });

  it('survives random corruption: every mutated file decodes or throws a LabError', () => {
    const rng = new Rng(9);
    const base = buildFile(HAND_HEADER, HAND_DATA);
    const before = tf.memory().numTensors;
    let decoded = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bytes = base.slice();
      const flips = 1 + rng.nextInt(4);
      for (let k = 0; k < flips; k++) {
        // Bias toward the length prefix and the header, where parsing happens.
        const at = rng.bernoulli(0.2) ? rng.nextInt(8) : rng.nextInt(bytes.length);
        bytes[at] = rng.nextInt(256);
      }
      try {
        const { tensors } = decodeSafetensors(bytes);
        decoded++;
        tf.dispose(Object.values(tensors));
      } catch (err) {
        if (!(err instanceof LabError)) throw err;
      }
    }
    expect(decoded).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a missing file is FILE_NOT_FOUND; a failed write leaves no file behind', async () => {
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const sub = mkdtempSync(join(dir, 'w-'));
    const t = tf.tensor1d([1, 2]);
    const gone = tf.tensor1d([3]);
    gone.dispose();
    await expect(writeSafetensors(join(sub, 'x.safetensors'), { t, gone })).rejects.toThrow();
    expect(readdirSync(sub)).toEqual([]);
    t.dispose();
  });
});

function hasNumpy(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// A second, independent writer and reader: Python's struct + json + numpy following the same format description.
const PY_WRITE = String.raw`
import json, struct, sys
import numpy as np
rng = np.random.default_rng(0)
arrs = {
  "f32": rng.standard_normal((3, 5)).astype("<f4"),
  "f16": rng.standard_normal((4,)).astype("<f2"),
  "f64": rng.standard_normal((2, 2)).astype("<f8"),
  "i64": rng.integers(-2**31, 2**31, size=(6,), dtype="<i8"),
  "i32": rng.integers(-2**31, 2**31, size=(2, 3), dtype="<i4"),
  "u8": rng.integers(0, 256, size=(5,), dtype="u1"),
  "i8": rng.integers(-128, 128, size=(5,), dtype="i1"),
  "flag": np.array([True, False, True]),
}
names = {"<f4": "F32", "<f2": "F16", "<f8": "F64", "<i8": "I64", "<i4": "I32", "|u1": "U8", "|i1": "I8", "|b1": "BOOL"}
header, data, off = {"__metadata__": {"writer": "numpy"}}, b"", 0
for k, a in arrs.items():
    b = a.tobytes()
    header[k] = {"dtype": names[a.dtype.str], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
    data += b; off += len(b)
h = json.dumps(header).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + data)
json.dump({k: a.astype(float).ravel().tolist() for k, a in arrs.items()}, open(sys.argv[2], "w"))
`;
const PY_READ = String.raw`
import json, struct, sys
import numpy as np
buf = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", buf[:8])[0]
header = json.loads(buf[8:8 + n])
types = {"F32": "<f4", "F16": "<f2", "BF16": None, "I64": "<i8", "I32": "<i4", "U8": "u1", "BOOL": "?"}
out = {"__metadata__": header.pop("__metadata__", {})}
for k, v in header.items():
    a, b = v["data_offsets"]
    raw = buf[8 + n + a: 8 + n + b]
    if v["dtype"] == "BF16":
        arr = (np.frombuffer(raw, "<u2").astype("<u4") << 16).view("<f4")
    else:
        arr = np.frombuffer(raw, types[v["dtype"]])
    out[k] = {"shape": v["shape"], "values": arr.astype(float).tolist()}
print(json.dumps(out))
`;

describe.skipIf(!hasNumpy())('safetensors against a numpy implementation of the format', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = mkdtempSync(join(tmpdir(), 'lab-st-py-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what numpy wrote', async () => {
    const file = join(dir, 'np.safetensors');
    const ref = join(dir, 'np.json');
    execFileSync('/usr/bin/python3', ['-c', PY_WRITE, file, ref]);
    const expected = JSON.parse(readFileSync(ref, 'utf8')) as Record<string, number[]>;
    const { tensors, metadata } = await readSafetensors(file);
    expect(metadata).toEqual({ writer: 'numpy' });
    for (const [k, values] of Object.entries(expected)) {
      const got = Array.from(tensors[k]!.dataSync());
      // float64 values lose precision in float32; everything else is exact.
      if (k === 'f64') {
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(values[i]!, 6);
      } else expect(got).toEqual(k === 'f32' ? values.map(Math.fround) : values);
    }
    expect(tensors.f32!.shape).toEqual([3, 5]);
    tf.dispose(Object.values(tensors));
  });

  it('numpy reads what we wrote', () => {
    const file = join(dir, 'ours.safetensors');
    const half = join(dir, 'half.safetensors');
    const a = [0.25, -1.5, 3.75, 1e-3];
    // tidy frees the tensors built inline.
    tf.tidy(() => {
      writeFileSync(
        file,
        encodeSafetensors(
          {
            a: tf.tensor2d(a, [2, 2]),
            n: { dtype: 'I64', shape: [2], data: [-9, 123456789] },
            m: tf.tensor1d([true, false], 'bool'),
          },
          { metadata: { who: 'lab' } },
        ),
      );
      writeFileSync(half, encodeSafetensors({ a: tf.tensor1d(a) }, { floatDtype: 'BF16' }));
    });
    const got = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY_READ, file]).toString());
    expect(got.__metadata__).toEqual({ who: 'lab' });
    expect(got.a).toEqual({ shape: [2, 2], values: a.map(Math.fround) });
    expect(got.n).toEqual({ shape: [2], values: [-9, 123456789] });
    expect(got.m.values).toEqual([1, 0]);
    const bf = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY_READ, half]).toString());
    expect(bf.a.values).toEqual([0.25, -1.5, 3.75, 0.00099945068359375]);
  });
});
