/**
 * Reading safetensors files (the format of Hugging Face and PyTorch
 * checkpoints): raw little-endian tensors after a JSON header. Loaded tensors
 * become TensorFlow.js tensors: F16, BF16 and F64 as float32; I64, U64, U32
 * as int32 after a range check; smaller integers as int32; BOOL as bool.
 * Headers are validated in safetensors-header.ts; writing is in
 * safetensors-write.ts.
 */
import { open } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import { bf16ToF32, f16ToF32 } from './half-float.js';
import {
  DTYPE_BYTES,
  parseHeaderJSON,
  readHeaderLength,
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
