/**
 * The two tensor computations of CoPE (Golovneva et al. 2024, arXiv:2405.18719,
 * section 3), as plain functions so they can be tested against a direct
 * reference: contextual positions from gates, and the interpolated position
 * logits q·e[p] computed without ever building a [T, T, headDim] tensor.
 */
import { LabError, tf } from '@lab/core';

/**
 * Contextual positions p_ij = Σ_{t=j..i} g_it, clipped at `maxPosition`.
 *
 * The gates are multiplied by `allowed` BEFORE the reverse cumulative sum, so a
 * future (or padded) key can never shift the position of a visible one.
 * p_ii = g_ii, so position 0 exists; all gates 1 gives p_ij = i − j + 1.
 *
 * @param gates values in [0, 1]: [batch, heads, qLen, kLen]
 * @param allowed 1 where query i may see key j, else 0: [batch|1, 1, qLen, kLen]
 * @param maxPosition positions are clipped to this (npos − 1); clipped entries pass no gradient
 * @example
 * const p = contextualPositions(tf.sigmoid(logits), causalMask, 64); // [B, H, T, T]
 */
export function contextualPositions(
  gates: tf.Tensor4D,
  allowed: tf.Tensor4D,
  maxPosition: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const masked = tf.mul(gates, allowed) as tf.Tensor4D; // [B, H, Tq, Tk]
    // Reverse inclusive cumsum over keys: p_ij = Σ_{t ≥ j} g_it (zero beyond i).
    const p = tf.cumsum(masked, 3, false, true) as tf.Tensor4D; // [B, H, Tq, Tk]
    return tf.minimum(p, maxPosition) as tf.Tensor4D;
  });
}

/**
 * Position logits at every integer position: Z = q·E, one rank-2 matMul.
 *
 * @param q queries: [batch, heads, qLen, headDim]
 * @param table [headDim, npos] (shared by heads) or [heads, headDim, npos] (one per head)
 * @returns [batch, heads, qLen, npos]
 */
export function integerPositionLogits(q: tf.Tensor4D, table: tf.Tensor): tf.Tensor4D {
  const [b, h, tq, dh] = q.shape;
  return tf.tidy(() => {
    if (table.rank === 2) {
      const [tdh, npos] = table.shape as [number, number];
      if (tdh !== dh) throw shapeError('table', [dh, npos], table.shape);
      const flat = tf.reshape(q, [b * h * tq, dh]); // [B·H·Tq, dh]
      return tf.reshape(tf.matMul(flat, table as tf.Tensor2D), [b, h, tq, npos]) as tf.Tensor4D;
    }
    const [th, tdh, npos] = table.shape as [number, number, number];
    if (th !== h || tdh !== dh) throw shapeError('table', [h, dh, npos], table.shape);
    const perHead = tf.reshape(tf.transpose(q, [1, 0, 2, 3]), [h, b * tq, dh]); // [H, B·Tq, dh]
    const z = tf.matMul(perHead, table as tf.Tensor3D); // [H, B·Tq, npos]
    return tf.transpose(tf.reshape(z, [h, b, tq, npos]), [1, 0, 2, 3]) as tf.Tensor4D; // [B, H, Tq, npos]
  });
}

/**
 * The CoPE bias q_i·e[p_ij], linearly interpolated between the integer
 * positions floor(p) and ceil(p): w·Z[ceil] + (1 − w)·Z[floor], w = p − floor(p).
 * Floor and ceil are gathered from the flattened Z (flat index
 * ((b·H + h)·Tq + i)·npos + ⌊p_ij⌋), so memory is O(B·H·T·(T + npos)).
 * The gates' only gradient path is w.
 *
 * @param q queries: [batch, heads, qLen, headDim]
 * @param table [headDim, npos] or [heads, headDim, npos]
 * @param positions contextual positions in [0, npos − 1]: [batch, heads, qLen, kLen]
 * @returns [batch, heads, qLen, kLen]
 * @example
 * const bias = interpolatedPositionLogits(q, table, contextualPositions(g, mask, npos - 1));
 */
export function interpolatedPositionLogits(
  q: tf.Tensor4D,
  table: tf.Tensor,
  positions: tf.Tensor4D,
): tf.Tensor4D {
  const [b, h, tq] = q.shape;
  const [pb, ph, ptq, tk] = positions.shape;
  if ((pb !== b && pb !== 1) || ph !== h || ptq !== tq)
    throw shapeError('positions', [b, h, tq, tk], positions.shape);
  return tf.tidy(() => {
    const z = integerPositionLogits(q, table); // [B, H, Tq, npos]
    const npos = z.shape[3];
    const zFlat = tf.reshape(z, [-1]) as tf.Tensor1D; // [B·H·Tq·npos]
    const p = pb === b ? positions : (tf.broadcastTo(positions, [b, h, tq, tk]) as tf.Tensor4D);
    const w = tf.sub(p, tf.floor(p)); // [B, H, Tq, Tk]; floor has zero gradient, so w carries the gates' gradient
    // split, not unstack: wasm's Unpack copies through a slow strided Slice (~20 ms here).
    const [zFloor, zCeil] = tf
      .split(gatherFloorCeil(zFlat, p, npos), 2, 0)
      .map((part) => tf.reshape(part, [b, h, tq, tk])); // 2 × [B, H, Tq, Tk]
    return tf.add(tf.mul(w, zCeil), tf.mul(tf.sub(1, w), zFloor)) as tf.Tensor4D;
  });
}

/**
 * Z at floor(p) and ceil(p), stacked: [2, B, H, Tq, Tk]. A custom-gradient op
 * because the integer indices derive from p: left on the tape, tf.gather
 * would try to send an int32 gradient to them. Gradient: scatter-add of dy
 * into Z (UnsortedSegmentSum, as tf.gather's own), none to p.
 *
 * Speed: the flat indices are formed in float32 (plus a [B, H, Tq, 1] row
 * offset, broadcast over keys) and cast once: wasm's int32 adds run a scalar
 * loop that cost seconds a step at [32, 4, 128, 128].
 */
function gatherFloorCeil(zFlat: tf.Tensor1D, p: tf.Tensor4D, npos: number): tf.Tensor {
  const [b, h, tq, tk] = p.shape;
  if (zFlat.size >= 2 ** 24) {
    throw new LabError(
      'COPE_TOO_LARGE',
      `batch·heads·qLen·npos = ${zFlat.size} exceeds 2^24 (float32 flat indices)`,
      {
        size: zFlat.size,
      },
    );
  }
  const backend = tf.getBackend();
  if (!tf.getKernel('UnsortedSegmentSum', backend)) {
    throw new LabError(
      'COPE_KERNEL_MISSING',
      `backend "${backend}" has no UnsortedSegmentSum kernel, which CoPE's gradient needs; initialise it with @lab/core's initBackend(), which registers one`,
      { backend, kernel: 'UnsortedSegmentSum' },
    );
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, pos, save] = args as [tf.Tensor1D, tf.Tensor4D, tf.GradSaveFunc];
    const rowBase = rowOffsets(b, h, tq, npos); // [B, H, Tq, 1], float32
    const floorI = tf.add(tf.floor(pos), rowBase); // exact in float32 below 2^24
    const ceilI = tf.add(tf.ceil(pos), rowBase);
    const idx = tf.cast(
      tf.concat([tf.reshape(floorI, [-1]), tf.reshape(ceilI, [-1])]),
      'int32',
    ) as tf.Tensor1D; // [2·B·H·Tq·Tk]
    save([idx]);
    const value = tf.reshape(tf.gather(z, idx), [2, b, h, tq, tk]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dz = tf.unsortedSegmentSum(tf.reshape(dy, [-1]), saved[0] as tf.Tensor1D, z.shape[0]);
        return [dz, tf.zerosLike(pos)];
      },
    };
  });
  return op(zFlat, p);
}

/**
 * ((b·H + h)·Tq + i)·npos, the flat offset of each query row of Z: [B, H, Tq, 1]
 * float32, added with broadcasting over the keys. Small (B·H·Tq values), so
 * it is built per call rather than cached.
 */
function rowOffsets(b: number, h: number, tq: number, npos: number): tf.Tensor4D {
  const data = new Float32Array(b * h * tq);
  for (let r = 0; r < data.length; r++) data[r] = r * npos;
  return tf.tensor4d(data, [b, h, tq, 1]);
}

function shapeError(arg: string, expected: (number | string)[], actual: readonly number[]): LabError {
  return new LabError(
    'COPE_SHAPE',
    `${arg}: expected shape [${expected.join(', ')}], got [${actual.join(', ')}]`,
    {
      arg,
      expected,
      actual,
    },
  );
}
