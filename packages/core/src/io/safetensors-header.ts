/**
 * The safetensors header: parsing and validation. The format
 * (huggingface/safetensors) is an unsigned 64-bit little-endian header
 * length N, N bytes of JSON, then the raw little-endian tensor data. The JSON
 * maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}`
 * (offsets relative to the data section) plus an optional `__metadata__`
 * string map. A file is untrusted input: every field is checked before any
 * buffer is sized from it, and the tensors must tile the data section exactly
 * (sorted, contiguous, no overlap, nothing left over), as the reference
 * implementation requires.
 */
import { formatShape, LabError } from '../errors.js';

export const SAFETENSORS_DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** Largest header accepted (the reference implementation's limit): 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a file; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in header order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

function invalid(source: string, message: string, context: Record<string, unknown>): LabError {
  return new LabError('SAFETENSORS_INVALID', `${source}: ${message}`, { file: source, ...context });
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * Checks the 8-byte length prefix against the file size and returns the
 * header length. Throws SAFETENSORS_INVALID before anything is allocated.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw invalid(source, `file has ${fileSize} bytes, fewer than the 8-byte header length`, {
      field: 'header_length',
    });
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw invalid(source, `header length ${n} runs past the end of the file (${fileSize} bytes)`, {
      field: 'header_length',
      headerLength: n.toString(),
      fileSize,
    });
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(source, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, {
      field: 'header_length',
      headerLength: n.toString(),
    });
  }
  if (n < 2n)
    throw invalid(source, `header length ${n} is too short for a JSON object`, { field: 'header_length' });
  return Number(n);
}

/**
 * Parses and validates the JSON header. `dataLength` is the size of the data
 * section (file size - 8 - header length), which the tensors must fill exactly.
 */
export function parseHeaderJSON(
  headerBytes: Uint8Array,
  dataLength: number,
  source: string,
): Omit<SafetensorsHeader, 'dataStart'> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw invalid(source, 'header is not valid UTF-8', { field: 'header' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(source, `header is not valid JSON (${(err as Error).message})`, { field: 'header' });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(source, 'header is not a JSON object', { field: 'header' });
  }
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw invalid(source, '__metadata__ is not an object', { field: '__metadata__' });
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw invalid(source, `__metadata__."${k}" is a ${typeof v}, not a string`, {
            field: '__metadata__',
            key: k,
          });
        }
      }
      metadata = Object.fromEntries(Object.entries(value as Record<string, string>));
      continue;
    }
    entries.push(parseEntry(name, value, source));
  }
  checkLayout(entries, dataLength, source);
  return { entries, metadata };
}

function parseEntry(name: string, value: unknown, source: string): SafetensorsEntry {
  const where = `tensor "${name}"`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(source, `${where} is not an object`, { tensor: name, field: 'entry' });
  }
  const v = value as Record<string, unknown>;
  const dtype = v.dtype;
  if (typeof dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(dtype)) {
    throw invalid(
      source,
      `${where}: dtype ${JSON.stringify(dtype)} is not one of ${SAFETENSORS_DTYPES.join(', ')}`,
      {
        tensor: name,
        field: 'dtype',
      },
    );
  }
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw invalid(source, `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`, {
      tensor: name,
      field: 'shape',
    });
  }
  const offsets = v.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw invalid(
      source,
      `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with non-negative integers`,
      {
        tensor: name,
        field: 'data_offsets',
      },
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw invalid(source, `${where}: data_offsets [${begin}, ${end}] end before they begin`, {
      tensor: name,
      field: 'data_offsets',
    });
  }
  // Element count without overflow: stop as soon as it exceeds what any real file could hold.
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) {
      throw invalid(source, `${where}: shape ${formatShape(shape as number[])} has too many elements`, {
        tensor: name,
        field: 'shape',
      });
    }
  }
  const bytes = count * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (bytes !== end - begin) {
    throw invalid(
      source,
      `${where}: dtype ${dtype} and shape ${formatShape(shape as number[])} need ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      { tensor: name, field: 'data_offsets', expectedBytes: bytes, actualBytes: end - begin },
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], begin, end };
}

/** The tensors must tile [0, dataLength) exactly: sorted by offset, contiguous, nothing left over. */
function checkLayout(entries: readonly SafetensorsEntry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      const what =
        e.begin < pos ? 'overlaps the previous tensor' : `leaves a gap of ${e.begin - pos} bytes before it`;
      throw invalid(
        source,
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] ${what} (expected begin ${pos})`,
        {
          tensor: e.name,
          field: 'data_offsets',
          expectedBegin: pos,
        },
      );
    }
    if (e.end > dataLength) {
      throw invalid(
        source,
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the data section (${dataLength} bytes)`,
        { tensor: e.name, field: 'data_offsets', dataLength },
      );
    }
    pos = e.end;
  }
  if (pos !== dataLength) {
    throw invalid(source, `the tensors cover ${pos} bytes but the data section has ${dataLength}`, {
      field: 'data_offsets',
      covered: pos,
      dataLength,
    });
  }
}
