/**
 * The arithmetic of UnsortedSegmentSum shared by the JavaScript kernels:
 * out[id, k] += x[s, k] for every row s with segment id `id` in range.
 * Ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export function segmentSumInto(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  inner: number,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  out.fill(0);
  const rows = ids.length;
  for (let s = 0; s < rows; s++) {
    const id = ids[s]!;
    if (id < 0 || id >= numSegments) continue;
    const src = s * inner;
    const dst = id * inner;
    for (let k = 0; k < inner; k++) out[dst + k]! += x[src + k]!;
  }
}

/** Output shape and row width for x [...idsShape, ...rest] summed into numSegments rows. */
export function segmentSumShape(
  xShape: readonly number[],
  idsShape: readonly number[],
  numSegments: number,
): { outShape: number[]; inner: number } {
  const rest = xShape.slice(idsShape.length);
  const inner = rest.reduce((a, b) => a * b, 1);
  return { outShape: [numSegments, ...rest], inner };
}
