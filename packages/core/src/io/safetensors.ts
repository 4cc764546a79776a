/**
 * Reading and writing safetensors files (the format of Hugging Face and
 * PyTorch checkpoints): raw little-endian tensors after a JSON header. Loaded
 * tensors become TensorFlow.js tensors: F16, BF16 and F64 as float32; I64,
 * U64, U32 as int32 after a range check; smaller integers as int32; BOOL as
 * bool. Headers are validated in safetensors-header.ts.
 */
import { open } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half-float.js';
import {
  DTYPE_BYTES,
  parseHeaderJSON,
  readHeaderLength,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors-header.js';

/** A tensor given as plain data, to write dtypes TensorFlow.js lacks (I64, F16, U8...). */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Row-major values; I64/U64 also accept BigInt64Array/BigUint64Array. F16/BF16 take float values. */
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
}

/** Values of one stored tensor converted to a TensorFlow.js dtype. */
export interface DecodedTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

export interface LoadedSafetensors {
  /** Tensors by name, in header order. The caller owns (and disposes) them. */
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
}

export interface EncodeSafetensorsOptions {
  /** String → string map stored as `__metadata__`. */
  metadata?: Record<string, string>;
  /** Storage dtype of float32 tensors. Default 'F32' (exact); 'F16'/'BF16' halve the size and round. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses and validates the header of a whole file held in memory. */
export function parseSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsHeader {
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const { entries, metadata } = parseHeaderJSON(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  return { entries, metadata, dataStart: 8 + n };
}

function rangeError(source: string, entry: SafetensorsEntry, index: number, value: string): LabError {
  return new LabError(
    'SAFETENSORS_VALUE_RANGE',
    `${source}: tensor "${entry.name}" (${entry.dtype}) holds ${value} at element ${index}, outside the int32 range TensorFlow.js can hold`,
    { file: source, tensor: entry.name, index, value },
  );
}

/**
 * Converts the raw bytes of one tensor (`bytes.length` already checked
 * against dtype and shape) to TensorFlow.js values.
 */
export function decodeTensorBytes(
  entry: SafetensorsEntry,
  bytes: Uint8Array,
  source = '<buffer>',
): DecodedTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_BYTES[entry.dtype];
  const shape = [...entry.shape];
  switch (entry.dtype) {
    case 'F32': {
      // slice() copies into a fresh, aligned buffer.
      if (LITTLE_ENDIAN) return { dtype: 'float32', shape, values: new Float32Array(bytes.slice().buffer) };
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return { dtype: 'float32', shape, values: out };
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return { dtype: 'float32', shape, values: out };
    }
    case 'F16':
    case 'BF16': {
      const convert = entry.dtype === 'F16' ? f16ToF32 : bf16ToF32;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = convert(view.getUint16(i * 2, true));
      return { dtype: 'float32', shape, values: out };
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return { dtype: 'int32', shape, values: out };
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = view.getUint32(i * 8, true);
        const hi = view.getInt32(i * 8 + 4, true);
        // Fits int32 iff the high word is the sign extension of the low word's top bit.
        const ok =
          entry.dtype === 'I64'
            ? (hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000)
            : hi === 0 && lo < 0x80000000;
        if (!ok) {
          const big = entry.dtype === 'I64' ? view.getBigInt64(i * 8, true) : view.getBigUint64(i * 8, true);
          throw rangeError(source, entry, i, big.toString());
        }
        out[i] = lo | 0;
      }
      return { dtype: 'int32', shape, values: out };
    }
    case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = view.getUint32(i * 4, true);
        if (x > 0x7fffffff) throw rangeError(source, entry, i, String(x));
        out[i] = x;
      }
      return { dtype: 'int32', shape, values: out };
    }
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8': {
      const out = new Int32Array(n);
      const get =
        entry.dtype === 'I16'
          ? (i: number) => view.getInt16(i * 2, true)
          : entry.dtype === 'U16'
            ? (i: number) => view.getUint16(i * 2, true)
            : entry.dtype === 'I8'
              ? (i: number) => view.getInt8(i)
              : (i: number) => view.getUint8(i);
      for (let i = 0; i < n; i++) out[i] = get(i);
      return { dtype: 'int32', shape, values: out };
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return { dtype: 'bool', shape, values: out };
    }
  }
}

/**
 * Decodes a whole safetensors file held in memory into tensors.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile('model.safetensors')));
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<buffer>'): LoadedSafetensors {
  const header = parseSafetensors(bytes, source);
  const entries: [string, tf.Tensor][] = [];
  try {
    for (const e of header.entries) {
      const d = decodeTensorBytes(
        e,
        bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end),
        source,
      );
      entries.push([e.name, tf.tensor(d.values, d.shape, d.dtype)]);
    }
  } catch (err) {
    for (const [, t] of entries) t.dispose();
    throw err;
  }
  // fromEntries defines own properties, so a tensor named "__proto__" cannot touch the prototype.
  return { tensors: Object.fromEntries(entries), metadata: header.metadata };
}

/** Reads and validates only the header of a file (no tensor data is read). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await openForRead(path);
  try {
    const size = (await fh.stat()).size;
    const prefix = new Uint8Array(8);
    await fh.read(prefix, 0, Math.min(8, size), 0);
    const n = readHeaderLength(prefix, size, path);
    const headerBytes = new Uint8Array(n);
    await fh.read(headerBytes, 0, n, 8);
    const { entries, metadata } = parseHeaderJSON(headerBytes, size - 8 - n, path);
    return { entries, metadata, dataStart: 8 + n };
  } finally {
    await fh.close();
  }
}

async function openForRead(path: string) {
  try {
    return await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ',
      `cannot open ${path}: ${(err as Error).message}`,
      { file: path },
      { cause: err },
    );
  }
}

/**
 * Reads a safetensors file into tensors. The header is validated before the
 * data is read, and the data read is exactly the size the header justifies.
 *
 * @example
 * const { tensors } = await readSafetensors('model.safetensors');
 * try { model.loadStateDict(tensors); } finally { Object.values(tensors).forEach((t) => t.dispose()); }
 */
export async function readSafetensors(path: string): Promise<LoadedSafetensors> {
  const header = await readSafetensorsHeader(path);
  const fh = await openForRead(path);
  let data: Uint8Array;
  try {
    const size = (await fh.stat()).size;
    data = new Uint8Array(size - header.dataStart);
    // One read() is capped at 2 GiB by Node; read in chunks.
    for (let done = 0; done < data.length; ) {
      const { bytesRead } = await fh.read(
        data,
        done,
        Math.min(data.length - done, 1 << 30),
        header.dataStart + done,
      );
      if (bytesRead === 0) {
        throw new LabError('SAFETENSORS_INVALID', `${path}: file shrank while being read`, { file: path });
      }
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const entries: [string, tf.Tensor][] = [];
  try {
    for (const e of header.entries) {
      const d = decodeTensorBytes(e, data.subarray(e.begin, e.end), path);
      entries.push([e.name, tf.tensor(d.values, d.shape, d.dtype)]);
    }
  } catch (err) {
    for (const [, t] of entries) t.dispose();
    throw err;
  }
  return { tensors: Object.fromEntries(entries), metadata: header.metadata };
}

const INT_RANGES: Partial<Record<SafetensorsDtype, [number, number]>> = {
  I8: [-128, 127],
  U8: [0, 255],
  I16: [-32768, 32767],
  U16: [0, 65535],
  I32: [-2147483648, 2147483647],
  U32: [0, 4294967295],
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  U64: [0, Number.MAX_SAFE_INTEGER],
};

/** Writes `count` values of `dtype` into `out` (little-endian). */
function encodeValues(name: string, dtype: SafetensorsDtype, data: RawTensor['data'], out: DataView): void {
  const n = data.length;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    if (dtype !== 'I64' && dtype !== 'U64') {
      throw new LabError(
        'SAFETENSORS_VALUE_RANGE',
        `tensor "${name}": bigint data only fits I64 or U64, not ${dtype}`,
        {
          tensor: name,
        },
      );
    }
    for (let i = 0; i < n; i++) {
      const v = data[i]!;
      if (dtype === 'I64')
        out.setBigInt64(i * 8, BigInt.asIntN(64, v) === v ? v : badBig(name, dtype, i, v), true);
      else out.setBigUint64(i * 8, BigInt.asUintN(64, v) === v ? v : badBig(name, dtype, i, v), true);
    }
    return;
  }
  const range = INT_RANGES[dtype];
  for (let i = 0; i < n; i++) {
    const x = Number(data[i]);
    if (range && (!Number.isInteger(x) || x < range[0] || x > range[1])) {
      throw new LabError(
        'SAFETENSORS_VALUE_RANGE',
        `tensor "${name}": ${x} at element ${i} does not fit ${dtype}`,
        {
          tensor: name,
          index: i,
          value: x,
        },
      );
    }
    switch (dtype) {
      case 'F64':
        out.setFloat64(i * 8, x, true);
        break;
      case 'F32':
        out.setFloat32(i * 4, x, true);
        break;
      case 'F16':
        out.setUint16(i * 2, f32ToF16(x), true);
        break;
      case 'BF16':
        out.setUint16(i * 2, f32ToBf16(x), true);
        break;
      case 'I64':
      case 'U64':
        out.setBigInt64(i * 8, BigInt(x), true);
        break;
      case 'I32':
        out.setInt32(i * 4, x, true);
        break;
      case 'U32':
        out.setUint32(i * 4, x, true);
        break;
      case 'I16':
        out.setInt16(i * 2, x, true);
        break;
      case 'U16':
        out.setUint16(i * 2, x, true);
        break;
      case 'I8':
        out.setInt8(i, x);
        break;
      case 'U8':
        out.setUint8(i, x);
        break;
      case 'BOOL':
        out.setUint8(i, x ? 1 : 0);
        break;
    }
  }
}

function badBig(name: string, dtype: string, i: number, v: bigint): never {
  throw new LabError(
    'SAFETENSORS_VALUE_RANGE',
    `tensor "${name}": ${v} at element ${i} does not fit ${dtype}`,
    {
      tensor: name,
      index: i,
      value: v.toString(),
    },
  );
}

function toRaw(name: string, t: tf.Tensor | RawTensor, floatDtype: SafetensorsDtype): RawTensor {
  if (!(t instanceof tf.Tensor)) {
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(t.dtype)) {
      throw new LabError('SAFETENSORS_UNSUPPORTED_DTYPE', `tensor "${name}": unknown dtype ${t.dtype}`, {
        tensor: name,
      });
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new LabError(
        'SAFETENSORS_SHAPE',
        `tensor "${name}": shape ${formatShape(t.shape)} needs ${count} values, got ${t.data.length}`,
        { tensor: name, shape: t.shape, length: t.data.length },
      );
    }
    return t;
  }
  const dtype: SafetensorsDtype | undefined =
    t.dtype === 'float32'
      ? floatDtype
      : t.dtype === 'int32'
        ? 'I32'
        : t.dtype === 'bool'
          ? 'BOOL'
          : undefined;
  if (!dtype) {
    throw new LabError(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      `tensor "${name}": cannot store a ${t.dtype} tensor`,
      {
        tensor: name,
        dtype: t.dtype,
      },
    );
  }
  return { dtype, shape: [...t.shape], data: t.dataSync() as Float32Array | Int32Array | Uint8Array };
}

/**
 * Encodes tensors (TensorFlow.js tensors or raw data) as a safetensors file,
 * in the order given. The header is padded with spaces to a multiple of 8
 * bytes, as the reference writer does, so data offsets stay aligned.
 */
export function encodeSafetensors(
  tensors: Record<string, tf.Tensor | RawTensor>,
  options: EncodeSafetensorsOptions = {},
): Uint8Array {
  const floatDtype = options.floatDtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(floatDtype)) {
    throw new LabError(
      'SAFETENSORS_UNSUPPORTED_DTYPE',
      `floatDtype must be F32, F16 or BF16, got ${floatDtype}`,
      {},
    );
  }
  const header: Record<string, unknown> = {};
  if (options.metadata) {
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') {
        throw new LabError('SAFETENSORS_METADATA', `metadata "${k}" must be a string, got ${typeof v}`, {
          key: k,
        });
      }
    }
    header.__metadata__ = { ...options.metadata };
  }
  const raws: [string, RawTensor][] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') {
      throw new LabError('SAFETENSORS_NAME', 'a tensor cannot be named __metadata__', { tensor: name });
    }
    const raw = toRaw(name, t, floatDtype);
    const bytes = raw.data.length * DTYPE_BYTES[raw.dtype];
    Object.defineProperty(header, name, {
      value: { dtype: raw.dtype, shape: raw.shape, data_offsets: [offset, offset + bytes] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    raws.push([name, raw]);
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + padded;
  for (const [name, raw] of raws) {
    const bytes = raw.data.length * DTYPE_BYTES[raw.dtype];
    const d = raw.data;
    if (
      LITTLE_ENDIAN &&
      ((raw.dtype === 'F32' && d instanceof Float32Array) || (raw.dtype === 'I32' && d instanceof Int32Array))
    ) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos); // same layout: copy the bytes
    } else {
      encodeValues(name, raw.dtype, d, new DataView(out.buffer, pos, bytes));
    }
    pos += bytes;
  }
  return out;
}

/**
 * Writes tensors to a safetensors file atomically (temporary file, then rename).
 *
 * @example
 * await writeSafetensors('model.safetensors', model.stateDict(), { metadata: { step: '1000' } });
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, tf.Tensor | RawTensor>,
  options: EncodeSafetensorsOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, options));
}
