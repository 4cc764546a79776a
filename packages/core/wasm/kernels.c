/*
 * @lab/core's WebAssembly SIMD kernels for the plain wasm backend.
 *
 * Built by scripts/build-wasm-kernels.mjs (clang --target=wasm32 -msimd128)
 * into src/kernels/simd/kernels-wasm.ts and instantiated against the
 * TensorFlow.js wasm backend's own memory, so every pointer below is a byte
 * offset into that heap and the kernels read and write tensors in place.
 *
 * Rules that keep this safe inside another module's memory:
 *  - no static data, no globals, no stack (no arrays on the stack, no calls
 *    that spill): the build script rejects a binary with a data segment or a
 *    use of the stack pointer;
 *  - callers pass separately allocated outputs, except AdamW's moments,
 *    which belong to the optimizer alone.
 *
 * JavaScript did these loops at 2-8 ns an element; XNNPACK's elementwise
 * kernels at ~0.3. Float32 arithmetic throughout, like the backend.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name))) void name

#ifndef BMM_PANEL
#define BMM_PANEL 128
#endif

typedef float f32;

static inline f32 hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

/*
 * e^x for four lanes: x = n·ln2 + r with |r| <= ln2/2, e^r by its Taylor
 * series to r^6 (truncation error below r^7/7! ~ 1.2e-7, float32's own rounding), 2^n built in the
 * exponent bits. Inputs are clamped to [-87.3, 88.3] (finite, normal results).
 * Rounding to n adds 1.5·2^23 + 127: at that magnitude float32 keeps no
 * fraction, so the low mantissa bits hold n + 127, which a shift by 23 moves
 * into the exponent field (V8 lowers f32x4.nearest and the saturating
 * float-to-int conversion to long sequences; this is two plain ops).
 */
#define EXP_ROUND (12582912.0f + 127.0f)

static inline v128_t v_exp(v128_t x) {
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.3f));
  x = wasm_f32x4_pmin(x, wasm_f32x4_splat(88.3f));
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.4426950408889634f)), wasm_f32x4_splat(EXP_ROUND));
  v128_t n = wasm_f32x4_sub(t, wasm_f32x4_splat(EXP_ROUND));
  /* ln2 split in a high part (n·hi is exact in float32) and a low remainder. */
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(1.428606765330187e-06f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  return wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));
}

static inline v128_t v_sigmoid(v128_t z) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(z))));
}

/* GELU, tanh form, as x·sigmoid(u) with u = S·(x + 0.044715x³), S = 2·sqrt(2/π). */
#define GELU_S 1.5957691216057308f
#define GELU_C (0.044715f * 1.5957691216057308f)

static inline v128_t gelu_inner(v128_t x) {
  v128_t x2 = wasm_f32x4_mul(x, x);
  return wasm_f32x4_mul(x, wasm_f32x4_add(wasm_f32x4_mul(x2, wasm_f32x4_splat(GELU_C)), wasm_f32x4_splat(GELU_S)));
}

/* y[i] = gelu(x[i]); n a multiple of 4 is not required (tail below). */
EXPORT(gelu)(const f32 *x, f32 *y, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(y + i, wasm_f32x4_mul(v, v_sigmoid(gelu_inner(v))));
  }
  for (; i < n; i++) {
    v128_t v = wasm_f32x4_splat(x[i]);
    y[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(v, v_sigmoid(gelu_inner(v))), 0);
  }
}

/* dx = dy · (s + x·s·(1 - s)·u'(x)), s = sigmoid(u), u' = S + 3·0.044715·S·x². */
static inline v128_t gelu_grad4(v128_t d, v128_t v) {
  v128_t s = v_sigmoid(gelu_inner(v));
  v128_t du = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(v, v), wasm_f32x4_splat(3.0f * GELU_C)),
                             wasm_f32x4_splat(GELU_S));
  v128_t ds = wasm_f32x4_mul(wasm_f32x4_mul(s, wasm_f32x4_sub(wasm_f32x4_splat(1.0f), s)), du);
  return wasm_f32x4_mul(d, wasm_f32x4_add(s, wasm_f32x4_mul(v, ds)));
}

EXPORT(gelu_grad)(const f32 *dy, const f32 *x, f32 *dx, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, gelu_grad4(wasm_v128_load(dy + i), wasm_v128_load(x + i)));
  for (; i < n; i++) {
    dx[i] = wasm_f32x4_extract_lane(gelu_grad4(wasm_f32x4_splat(dy[i]), wasm_f32x4_splat(x[i])), 0);
  }
}

/* Mean and 1/sqrt(var + eps) of one row, two passes (no cancellation). */
static inline void row_stats(const f32 *x, int32_t cols, f32 eps, f32 *mean_out, f32 *inv_out) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int32_t c = 0;
  for (; c + 4 <= cols; c += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + c));
  f32 sum = hsum(acc);
  for (; c < cols; c++) sum += x[c];
  f32 mean = sum / (f32)cols;
  v128_t m = wasm_f32x4_splat(mean);
  acc = wasm_f32x4_splat(0.0f);
  for (c = 0; c + 4 <= cols; c += 4) {
    v128_t d = wasm_f32x4_sub(wasm_v128_load(x + c), m);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
  }
  f32 sq = hsum(acc);
  for (; c < cols; c++) sq += (x[c] - mean) * (x[c] - mean);
  *mean_out = mean;
  *inv_out = 1.0f / __builtin_sqrtf(sq / (f32)cols + eps);
}

/* Layer norm over the last axis: y = (x - mean)·inv·gamma (+ beta when has_beta). */
EXPORT(layer_norm)(const f32 *x, const f32 *gamma, const f32 *beta, int32_t has_beta, f32 *y, int32_t rows,
                   int32_t cols, f32 eps) {
  for (int32_t r = 0; r < rows; r++) {
    const f32 *xr = x + (int64_t)r * cols;
    f32 *yr = y + (int64_t)r * cols;
    f32 mean, inv;
    row_stats(xr, cols, eps, &mean, &inv);
    v128_t m = wasm_f32x4_splat(mean);
    v128_t iv = wasm_f32x4_splat(inv);
    int32_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), m), iv), wasm_v128_load(gamma + c));
      if (has_beta) v = wasm_f32x4_add(v, wasm_v128_load(beta + c));
      wasm_v128_store(yr + c, v);
    }
    for (; c < cols; c++) yr[c] = (xr[c] - mean) * inv * gamma[c] + (has_beta ? beta[c] : 0.0f);
  }
}

/*
 * Layer norm backward. dgamma and dbeta are accumulated (the caller zeroes
 * them); dx = inv·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·gamma, x̂ = (x - mean)·inv.
 */
EXPORT(layer_norm_grad)(const f32 *dy, const f32 *x, const f32 *gamma, f32 *dx, f32 *dgamma, f32 *dbeta,
                        int32_t rows, int32_t cols, f32 eps) {
  for (int32_t r = 0; r < rows; r++) {
    const f32 *xr = x + (int64_t)r * cols;
    const f32 *dr = dy + (int64_t)r * cols;
    f32 *dxr = dx + (int64_t)r * cols;
    f32 mean, inv;
    row_stats(xr, cols, eps, &mean, &inv);
    v128_t m = wasm_f32x4_splat(mean);
    v128_t iv = wasm_f32x4_splat(inv);
    v128_t sg = wasm_f32x4_splat(0.0f);
    v128_t sgx = wasm_f32x4_splat(0.0f);
    int32_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), m), iv);
      v128_t d = wasm_v128_load(dr + c);
      v128_t g = wasm_f32x4_mul(d, wasm_v128_load(gamma + c));
      sg = wasm_f32x4_add(sg, g);
      sgx = wasm_f32x4_add(sgx, wasm_f32x4_mul(g, xh));
      wasm_v128_store(dgamma + c, wasm_f32x4_add(wasm_v128_load(dgamma + c), wasm_f32x4_mul(d, xh)));
      wasm_v128_store(dbeta + c, wasm_f32x4_add(wasm_v128_load(dbeta + c), d));
    }
    f32 sum_g = hsum(sg);
    f32 sum_gx = hsum(sgx);
    for (; c < cols; c++) {
      f32 xh = (xr[c] - mean) * inv;
      f32 g = dr[c] * gamma[c];
      sum_g += g;
      sum_gx += g * xh;
      dgamma[c] += dr[c] * xh;
      dbeta[c] += dr[c];
    }
    f32 mg = sum_g / (f32)cols;
    f32 mgx = sum_gx / (f32)cols;
    v128_t vmg = wasm_f32x4_splat(mg);
    v128_t vmgx = wasm_f32x4_splat(mgx);
    for (c = 0; c + 4 <= cols; c += 4) {
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), m), iv);
      v128_t g = wasm_f32x4_mul(wasm_v128_load(dr + c), wasm_v128_load(gamma + c));
      v128_t v = wasm_f32x4_sub(wasm_f32x4_sub(g, vmg), wasm_f32x4_mul(xh, vmgx));
      wasm_v128_store(dxr + c, wasm_f32x4_mul(v, iv));
    }
    for (; c < cols; c++) {
      f32 xh = (xr[c] - mean) * inv;
      dxr[c] = inv * (dr[c] * gamma[c] - mg - xh * mgx);
    }
  }
}

/*
 * out[j·r + i] = x[i·c + j] for `batch` consecutive [r, c] matrices of 4-byte
 * elements (float32 or int32: a bit copy). 4x4 blocks by lane shuffles, in
 * strips 16 columns wide so the 16 output rows being written stay in cache.
 */
EXPORT(transpose)(const int32_t *x, int32_t *out, int32_t batch, int32_t r, int32_t c) {
  const int32_t r4 = r & ~3;
  const int32_t c4 = c & ~3;
  for (int32_t b = 0; b < batch; b++) {
    const int32_t *xs = x + (int64_t)b * r * c;
    int32_t *os = out + (int64_t)b * r * c;
    for (int32_t j0 = 0; j0 < c4; j0 += 16) {
      const int32_t j1 = j0 + 16 < c4 ? j0 + 16 : c4;
      for (int32_t i = 0; i < r4; i += 4) {
        for (int32_t j = j0; j < j1; j += 4) {
          v128_t a0 = wasm_v128_load(xs + (int64_t)i * c + j);
          v128_t a1 = wasm_v128_load(xs + (int64_t)(i + 1) * c + j);
          v128_t a2 = wasm_v128_load(xs + (int64_t)(i + 2) * c + j);
          v128_t a3 = wasm_v128_load(xs + (int64_t)(i + 3) * c + j);
          v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5);
          v128_t t1 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7);
          v128_t t2 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5);
          v128_t t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
          wasm_v128_store(os + (int64_t)j * r + i, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
          wasm_v128_store(os + (int64_t)(j + 1) * r + i, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
          wasm_v128_store(os + (int64_t)(j + 2) * r + i, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
          wasm_v128_store(os + (int64_t)(j + 3) * r + i, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
      }
    }
    /* Ragged edges: the last r % 4 rows and the last c % 4 columns. */
    for (int32_t i = r4; i < r; i++) {
      for (int32_t j = 0; j < c; j++) os[(int64_t)j * r + i] = xs[(int64_t)i * c + j];
    }
    for (int32_t i = 0; i < r4; i++) {
      for (int32_t j = c4; j < c; j++) os[(int64_t)j * r + i] = xs[(int64_t)i * c + j];
    }
  }
}

/* out[k] = sum over o of x[o·inner + k]: x viewed as [outer, inner], summed over its leading axis. */
EXPORT(sum_leading)(const f32 *x, f32 *out, int32_t outer, int32_t inner) {
  const int32_t in4 = inner & ~3;
  for (int32_t k = 0; k < inner; k++) out[k] = 0.0f;
  int32_t o = 0;
  for (; o + 4 <= outer; o += 4) {
    const f32 *a = x + (int64_t)o * inner;
    int32_t k = 0;
    for (; k < in4; k += 4) {
      v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_v128_load(a + k), wasm_v128_load(a + inner + k)),
                                wasm_f32x4_add(wasm_v128_load(a + 2 * inner + k), wasm_v128_load(a + 3 * inner + k)));
      wasm_v128_store(out + k, wasm_f32x4_add(wasm_v128_load(out + k), s));
    }
    for (; k < inner; k++) out[k] += (a[k] + a[inner + k]) + (a[2 * inner + k] + a[3 * inner + k]);
  }
  for (; o < outer; o++) {
    const f32 *a = x + (int64_t)o * inner;
    for (int32_t k = 0; k < inner; k++) out[k] += a[k];
  }
}

/*
 * One AdamW step over n values, the same float32 operations as
 * @lab/core-native's: m and v in place; the new parameter into `out` (never
 * into p: the backend's matmul caches packed weights per tensor id).
 *   m = b1·m + c1·g;  v = b2·v + c2·g²;  out = keep·p - (m / (sqrt(v)·inv_sqrt_bc2 + eps))·step
 * has_g 0: a zero gradient.
 */
EXPORT(adamw)(const f32 *p, const f32 *g, int32_t has_g, f32 *m, f32 *v, f32 *out, int32_t n, f32 b1, f32 c1,
              f32 b2, f32 c2, f32 inv_sqrt_bc2, f32 eps, f32 step, f32 keep, f32 gscale) {
  v128_t vb1 = wasm_f32x4_splat(b1), vc1 = wasm_f32x4_splat(c1);
  v128_t vb2 = wasm_f32x4_splat(b2), vc2 = wasm_f32x4_splat(c2);
  v128_t vinv = wasm_f32x4_splat(inv_sqrt_bc2), veps = wasm_f32x4_splat(eps);
  v128_t vstep = wasm_f32x4_splat(step), vkeep = wasm_f32x4_splat(keep), vscale = wasm_f32x4_splat(gscale);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = has_g ? wasm_f32x4_mul(wasm_v128_load(g + i), vscale) : wasm_f32x4_splat(0.0f);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vc1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vc2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t denom = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(vi), vinv), veps);
    v128_t u = wasm_f32x4_mul(wasm_f32x4_div(mi, denom), vstep);
    wasm_v128_store(out + i, wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(p + i), vkeep), u));
  }
  for (; i < n; i++) {
    f32 gi = has_g ? g[i] * gscale : 0.0f;
    f32 mi = m[i] * b1 + gi * c1;
    f32 vi = v[i] * b2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    out[i] = p[i] * keep - (mi / (__builtin_sqrtf(vi) * inv_sqrt_bc2 + eps)) * step;
  }
}

/*
 * Batched matmul: c[b] = op(a[b]) · b[b], op(a) = a stored [m, k] or, with
 * ta, aᵀ of a stored [k, m]; b stored [k, n]; c [m, n]. `scratch` holds
 * k·BMM_PANEL floats. The backend's own kernel for batched or transposed
 * products is a scalar loop, and its XNNPACK path (rank 2, no flags) ran at
 * 25-30 GFLOP/s here, paying a weight-packing setup per call.
 *
 * Columns go in panels of BMM_PANEL: each panel of b is first copied into
 * scratch as strips of 8 columns, k rows each, contiguous (rows of b
 * 4 KB apart, n = 1024, fell into the same cache sets and ran 25% slower),
 * then every block of 4 rows of op(a) passes over it: eight accumulators,
 * one splat of op(a) per row and two loads of the strip per step of k.
 */
EXPORT(bmm)(const f32 *a, const f32 *b, f32 *c, int32_t batch, int32_t m, int32_t k, int32_t n, int32_t ta,
            f32 *scratch) {
  const int32_t rs = ta ? 1 : k; /* distance between rows of op(a) */
  const int32_t ps = ta ? m : 1; /* distance between steps of k within a row */
  const int32_t n8 = n & ~7;
  const int32_t m4 = m & ~3;
  for (int32_t bi = 0; bi < batch; bi++) {
    const f32 *A = a + (int64_t)bi * m * k;
    const f32 *B = b + (int64_t)bi * k * n;
    f32 *C = c + (int64_t)bi * m * n;
    for (int32_t j0 = 0; j0 < n8; j0 += BMM_PANEL) {
      const int32_t j1 = j0 + BMM_PANEL < n8 ? j0 + BMM_PANEL : n8;
      for (int32_t j = j0; j < j1; j += 8) {
        f32 *strip = scratch + (int64_t)(j - j0) * k;
        for (int32_t p = 0; p < k; p++) {
          wasm_v128_store(strip + 8 * p, wasm_v128_load(B + (int64_t)p * n + j));
          wasm_v128_store(strip + 8 * p + 4, wasm_v128_load(B + (int64_t)p * n + j + 4));
        }
      }
      for (int32_t i = 0; i < m4; i += 4) {
        const f32 *a0 = A + (int64_t)i * rs;
        for (int32_t j = j0; j < j1; j += 8) {
          v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
          v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
          const f32 *ap = a0;
          const f32 *bp = scratch + (int64_t)(j - j0) * k;
          for (int32_t p = 0; p < k; p++) {
            v128_t b0 = wasm_v128_load(bp);
            v128_t b1 = wasm_v128_load(bp + 4);
            v128_t x0 = wasm_v128_load32_splat(ap);
            v128_t x1 = wasm_v128_load32_splat(ap + rs);
            v128_t x2 = wasm_v128_load32_splat(ap + 2 * rs);
            v128_t x3 = wasm_v128_load32_splat(ap + 3 * rs);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
            c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
            c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
            c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
            c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
            c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
            c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
            ap += ps;
            bp += 8;
          }
          f32 *cp = C + (int64_t)i * n + j;
          wasm_v128_store(cp, c00);
          wasm_v128_store(cp + 4, c01);
          wasm_v128_store(cp + n, c10);
          wasm_v128_store(cp + n + 4, c11);
          wasm_v128_store(cp + 2 * n, c20);
          wasm_v128_store(cp + 2 * n + 4, c21);
          wasm_v128_store(cp + 3 * n, c30);
          wasm_v128_store(cp + 3 * n + 4, c31);
        }
      }
    }
    /* The last n % 8 columns of the first m4 rows, four rows at a time. */
    for (int32_t i = 0; i < m4; i += 4) {
      const f32 *a0 = A + (int64_t)i * rs;
      for (int32_t j = n8; j < n; j++) {
        f32 s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        const f32 *ap = a0;
        for (int32_t p = 0; p < k; p++) {
          f32 bv = B[(int64_t)p * n + j];
          s0 += ap[0] * bv;
          s1 += ap[rs] * bv;
          s2 += ap[2 * rs] * bv;
          s3 += ap[3 * rs] * bv;
          ap += ps;
        }
        C[(int64_t)i * n + j] = s0;
        C[(int64_t)(i + 1) * n + j] = s1;
        C[(int64_t)(i + 2) * n + j] = s2;
        C[(int64_t)(i + 3) * n + j] = s3;
      }
    }
    /* The last m % 4 rows, one at a time. */
    for (int32_t i = m4; i < m; i++) {
      const f32 *a0 = A + (int64_t)i * rs;
      int32_t j = 0;
      for (; j + 4 <= n; j += 4) {
        v128_t acc = wasm_f32x4_splat(0.0f);
        const f32 *ap = a0;
        for (int32_t p = 0; p < k; p++) {
          acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load32_splat(ap), wasm_v128_load(B + (int64_t)p * n + j)));
          ap += ps;
        }
        wasm_v128_store(C + (int64_t)i * n + j, acc);
      }
      for (; j < n; j++) {
        f32 s = 0.0f;
        const f32 *ap = a0;
        for (int32_t p = 0; p < k; p++) {
          s += *ap * B[(int64_t)p * n + j];
          ap += ps;
        }
        C[(int64_t)i * n + j] = s;
      }
    }
  }
}

/*
 * out[i·width + c] = x[ids[i]·width + c] (4-byte elements: float32 or int32).
 * Returns -1, or the position of the first id outside [0, rows), where it
 * stops. CoPE gathers millions of single values a step; a JavaScript
 * copyWithin per value cost ~40 ns.
 */
__attribute__((export_name("gather_rows"))) int32_t gather_rows(const int32_t *x, const int32_t *ids, int32_t *out,
                                                                  int32_t n, int32_t rows, int32_t width) {
  if (width == 1) {
    for (int32_t i = 0; i < n; i++) {
      const int32_t id = ids[i];
      if ((uint32_t)id >= (uint32_t)rows) return i;
      out[i] = x[id];
    }
    return -1;
  }
  for (int32_t i = 0; i < n; i++) {
    const int32_t id = ids[i];
    if (id < 0 || id >= rows) return i;
    const int32_t *src = x + (int64_t)id * width;
    int32_t *dst = out + (int64_t)i * width;
    int32_t c = 0;
    for (; c + 4 <= width; c += 4) wasm_v128_store(dst + c, wasm_v128_load(src + c));
    for (; c < width; c++) dst[c] = src[c];
  }
  return -1;
}

/*
 * Unsorted segment sum, float32: out [segments, inner] = the sum of the rows
 * s of x ([n, inner]) with ids[s] = segment; ids outside [0, segments) are
 * skipped (as TensorFlow does). The gradient of every gather.
 */
EXPORT(segment_sum)(const f32 *x, const int32_t *ids, f32 *out, int32_t n, int32_t inner, int32_t segments) {
  for (int64_t i = 0; i < (int64_t)segments * inner; i++) out[i] = 0.0f;
  if (inner == 1) {
    for (int32_t s = 0; s < n; s++) {
      const int32_t id = ids[s];
      if ((uint32_t)id < (uint32_t)segments) out[id] += x[s];
    }
    return;
  }
  for (int32_t s = 0; s < n; s++) {
    const int32_t id = ids[s];
    if (id < 0 || id >= segments) continue;
    const f32 *src = x + (int64_t)s * inner;
    f32 *dst = out + (int64_t)id * inner;
    int32_t c = 0;
    for (; c + 4 <= inner; c += 4) wasm_v128_store(dst + c, wasm_f32x4_add(wasm_v128_load(dst + c), wasm_v128_load(src + c)));
    for (; c < inner; c++) dst[c] += src[c];
  }
}

/*
 * Cumulative sum along the last axis of x viewed as [outer, len], float32:
 * inclusive or exclusive, forward or reverse (tf.cumsum's flags). CoPE's
 * gate sums run it over [batch, heads, t, t] every layer; the backend's kernel
 * took ~8 ms for 2M values.
 */
EXPORT(cumsum_last)(const f32 *x, f32 *out, int32_t outer, int32_t len, int32_t exclusive, int32_t reverse) {
  const int32_t step = reverse ? -1 : 1;
  for (int32_t r = 0; r < outer; r++) {
    const f32 *xr = x + (int64_t)r * len;
    f32 *orow = out + (int64_t)r * len;
    f32 acc = 0.0f;
    int32_t j = reverse ? len - 1 : 0;
    for (int32_t t = 0; t < len; t++, j += step) {
      const f32 v = xr[j];
      if (exclusive) {
        orow[j] = acc;
        acc += v;
      } else {
        acc += v;
        orow[j] = acc;
      }
    }
  }
}

/*
 * Element-wise min / max (op 0 / 1) of float32 a and b, b either the same
 * size as a or one value broadcast (b_scalar). NaN propagates, as in
 * TensorFlow. The backend's Minimum and Maximum ran ~11 ns a value here.
 */
EXPORT(min_max)(const f32 *a, const f32 *b, f32 *out, int32_t n, int32_t b_scalar, int32_t op) {
  int32_t i = 0;
  const v128_t bs = wasm_f32x4_splat(b[0]);
  for (; i + 4 <= n; i += 4) {
    v128_t x = wasm_v128_load(a + i);
    v128_t y = b_scalar ? bs : wasm_v128_load(b + i);
    wasm_v128_store(out + i, op ? wasm_f32x4_max(x, y) : wasm_f32x4_min(x, y));
  }
  for (; i < n; i++) {
    v128_t x = wasm_f32x4_splat(a[i]);
    v128_t y = wasm_f32x4_splat(b_scalar ? b[0] : b[i]);
    out[i] = wasm_f32x4_extract_lane(op ? wasm_f32x4_max(x, y) : wasm_f32x4_min(x, y), 0);
  }
}

/*
 * Comparisons of float32 a and b (b the same size or one value) into bool
 * bytes (1 / 0): op 0 a < b, 1 a <= b, 2 a > b, 3 a >= b. Min and max's
 * gradients are built on them; the backend's took ~5 ns a value.
 */
__attribute__((export_name("compare"))) void compare(const f32 *a, const f32 *b, uint8_t *out, int32_t n,
                                                      int32_t b_scalar, int32_t op) {
  for (int32_t i = 0; i < n; i++) {
    const f32 x = a[i];
    const f32 y = b_scalar ? b[0] : b[i];
    out[i] = (uint8_t)(op == 0 ? x < y : op == 1 ? x <= y : op == 2 ? x > y : x >= y);
  }
}

/*
 * float32 -> int32 toward zero, vectorised. Out of int32's range it saturates
 * (NaN -> 0); tfjs's cpu backend wraps there instead (Int32Array: 3e9 -> -1294967296).
 */
EXPORT(cast_f32_i32)(const f32 *x, int32_t *out, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_i32x4_trunc_sat_f32x4(wasm_v128_load(x + i)));
  for (; i < n; i++) out[i] = wasm_i32x4_extract_lane(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_splat(x[i])), 0);
}
