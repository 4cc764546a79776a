/**
 * Writing safetensors files: TensorFlow.js tensors (float32 stored as F32,
 * or rounded to F16/BF16; int32 as I32; bool as BOOL) or raw data in any
 * safetensors dtype, after a JSON header padded to 8 bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { f32ToBf16, f32ToF16 } from './half-float.js';
import type { EncodeSafetensorsOptions, RawTensor } from './safetensors.js';
import { DTYPE_BYTES, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-header.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
