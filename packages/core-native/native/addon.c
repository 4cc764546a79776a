/*
 * @lab/core-native: a small N-API addon that finds a CBLAS library at run time
 * (dlopen, so no BLAS headers or -dev package are needed to build) and runs
 * float32 kernels directly on an ArrayBuffer (in practice the wasm backend's
 * heap) without copying. Offsets and strides are in bytes for buffers and in
 * elements for leading dimensions; every call checks that what it touches lies
 * inside the buffer, so a wrong offset is a JavaScript error, never a crash.
 *
 * The wasm heap is written here only while JavaScript waits on the call (wasm
 * in Node is single-threaded), so no other code sees a half-written tensor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CBLAS enums, fixed by the CBLAS standard. */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);
typedef void (*sgemv_fn)(int order, int trans, int m, int n, float alpha, const float *a, int lda,
                         const float *x, int incx, float beta, float *y, int incy);

static sgemm_fn g_sgemm = NULL;
static sgemv_fn g_sgemv = NULL;
static void *g_handle = NULL;
static char g_vendor[32] = "";
static char g_version[256] = "";
static char g_path[1024] = "";

/* Vendor thread controls, whichever the library has. */
static void (*g_openblas_set_threads)(int) = NULL;
static int (*g_openblas_get_threads)(void) = NULL;
static void (*g_mkl_set_threads)(int) = NULL;
static int (*g_mkl_get_threads)(void) = NULL;
static void (*g_blis_set_threads)(int64_t) = NULL;
static int64_t (*g_blis_get_threads)(void) = NULL;

/* A vector of ones for column sums through sgemv, grown on demand. */
static float *g_ones = NULL;
static int64_t g_ones_len = 0;

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, "LAB_NATIVE_NAPI", "N-API call failed: " #call);                       \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "LAB_NATIVE_BOUNDS", msg);
  return NULL;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != floor(d)) return 0;
  *out = (int64_t)d;
  return 1;
}

static int get_f32(napi_env env, napi_value v, float *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  *out = (float)d;
  return 1;
}

/* Gets the bytes of an ArrayBuffer argument. */
static int get_buffer(napi_env env, napi_value v, uint8_t **data, int64_t *len) {
  bool is_ab = false;
  void *p = NULL;
  size_t n = 0;
  if (napi_is_arraybuffer(env, v, &is_ab) != napi_ok || !is_ab) return 0;
  if (napi_get_arraybuffer_info(env, v, &p, &n) != napi_ok) return 0;
  *data = (uint8_t *)p;
  *len = (int64_t)n;
  return 1;
}

/* True when a float32 matrix batch (rows x cols, leading dim ld, batch stride in
 * bytes) starting at byte offset off fits in a buffer of len bytes. */
static int fits(int64_t off, int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld,
                int64_t len) {
  if (off < 0 || (off & 3) != 0 || (stride & 3) != 0 || stride < 0) return 0;
  if (batch == 0 || rows == 0 || cols == 0) return off <= len;
  if (ld < cols) return 0;
  int64_t last = off + (batch - 1) * stride + ((rows - 1) * ld + cols) * 4;
  return last <= len;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  if (v != NULL) napi_set_named_property(env, obj, key, v);
}

/* open(path): dlopen a CBLAS library and bind its symbols. Returns
 * { path, vendor, version } or throws with dlerror()'s text. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[1024];
  size_t plen = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "open(path): path must be a string");
    return NULL;
  }
  dlerror();
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *e = dlerror();
    napi_throw_error(env, "LAB_NATIVE_DLOPEN", e ? e : "dlopen failed");
    return NULL;
  }
  sgemm_fn sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
  sgemv_fn sgemv = (sgemv_fn)dlsym(h, "cblas_sgemv");
  if (sgemm == NULL || sgemv == NULL) {
    dlclose(h);
    char msg[1200];
    snprintf(msg, sizeof msg, "%s has no cblas_sgemm/cblas_sgemv (not a CBLAS library)", path);
    napi_throw_error(env, "LAB_NATIVE_NO_CBLAS", msg);
    return NULL;
  }
  /* A previously opened library stays mapped: unloading a BLAS with worker
   * threads is unsafe, and switching happens at most a few times (tests). */
  g_handle = h;
  g_sgemm = sgemm;
  g_sgemv = sgemv;
  g_openblas_set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
  g_openblas_get_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads");
  g_mkl_set_threads = (void (*)(int))dlsym(h, "MKL_Set_Num_Threads");
  g_mkl_get_threads = (int (*)(void))dlsym(h, "MKL_Get_Max_Threads");
  g_blis_set_threads = (void (*)(int64_t))dlsym(h, "bli_thread_set_num_threads");
  g_blis_get_threads = (int64_t (*)(void))dlsym(h, "bli_thread_get_num_threads");

  char *(*openblas_config)(void) = (char *(*)(void))dlsym(h, "openblas_get_config");
  char *(*openblas_core)(void) = (char *(*)(void))dlsym(h, "openblas_get_corename");
  void (*mkl_version)(char *, int) = (void (*)(char *, int))dlsym(h, "MKL_Get_Version_String");
  char *(*blis_version)(void) = (char *(*)(void))dlsym(h, "bli_info_get_version_str");
  g_version[0] = '\0';
  if (openblas_config != NULL) {
    snprintf(g_vendor, sizeof g_vendor, "OpenBLAS");
    snprintf(g_version, sizeof g_version, "%s%s%s", openblas_config(),
             openblas_core ? " core=" : "", openblas_core ? openblas_core() : "");
  } else if (mkl_version != NULL) {
    snprintf(g_vendor, sizeof g_vendor, "MKL");
    mkl_version(g_version, (int)sizeof g_version);
  } else if (blis_version != NULL) {
    snprintf(g_vendor, sizeof g_vendor, "BLIS");
    snprintf(g_version, sizeof g_version, "%s", blis_version());
  } else {
    snprintf(g_vendor, sizeof g_vendor, "unknown");
  }
  struct link_map *lm = NULL;
  if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm != NULL && lm->l_name != NULL && lm->l_name[0]) {
    snprintf(g_path, sizeof g_path, "%s", lm->l_name);
  } else {
    snprintf(g_path, sizeof g_path, "%s", path);
  }
  napi_value out;
  CHECK(napi_create_object(env, &out));
  set_prop(env, out, "path", make_string(env, g_path));
  set_prop(env, out, "vendor", make_string(env, g_vendor));
  set_prop(env, out, "version", make_string(env, g_version));
  return out;
}

/* setThreads(n): sets the library's thread count when it has a control;
 * returns the count in force afterwards (or -1 when unknown). */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_i64(env, argv[0], &n) || n < 1 || n > 1024) {
    napi_throw_range_error(env, "LAB_NATIVE_ARGS", "setThreads(n): n must be an integer in 1..1024");
    return NULL;
  }
  int64_t now = -1;
  if (g_openblas_set_threads) {
    g_openblas_set_threads((int)n);
    now = g_openblas_get_threads ? g_openblas_get_threads() : n;
  } else if (g_mkl_set_threads) {
    g_mkl_set_threads((int)n);
    now = g_mkl_get_threads ? g_mkl_get_threads() : n;
  } else if (g_blis_set_threads) {
    g_blis_set_threads(n);
    now = g_blis_get_threads ? g_blis_get_threads() : n;
  }
  napi_value v;
  CHECK(napi_create_int64(env, now, &v));
  return v;
}

/* sgemm(heap, transA, transB, m, n, k, alpha, aOff, lda, aStride, bOff, ldb,
 *       bStride, beta, cOff, ldc, cStride, batch)
 * C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for i < batch, row-major,
 * offsets and batch strides in bytes (a stride of 0 broadcasts an operand). */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (g_sgemm == NULL) {
    napi_throw_error(env, "LAB_NATIVE_NO_BLAS", "no BLAS library is open");
    return NULL;
  }
  if (argc != 18) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "sgemm takes 18 arguments");
    return NULL;
  }
  uint8_t *heap;
  int64_t len;
  bool ta, tb;
  int64_t m, n, k, aoff, lda, sa, boff, ldb, sb, coff, ldc, sc, batch;
  float alpha, beta;
  if (!get_buffer(env, argv[0], &heap, &len) || napi_get_value_bool(env, argv[1], &ta) != napi_ok ||
      napi_get_value_bool(env, argv[2], &tb) != napi_ok || !get_i64(env, argv[3], &m) ||
      !get_i64(env, argv[4], &n) || !get_i64(env, argv[5], &k) || !get_f32(env, argv[6], &alpha) ||
      !get_i64(env, argv[7], &aoff) || !get_i64(env, argv[8], &lda) ||
      !get_i64(env, argv[9], &sa) || !get_i64(env, argv[10], &boff) ||
      !get_i64(env, argv[11], &ldb) || !get_i64(env, argv[12], &sb) ||
      !get_f32(env, argv[13], &beta) || !get_i64(env, argv[14], &coff) ||
      !get_i64(env, argv[15], &ldc) || !get_i64(env, argv[16], &sc) ||
      !get_i64(env, argv[17], &batch)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "sgemm: bad argument types");
    return NULL;
  }
  if (m < 0 || n < 0 || k < 0 || batch < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX ||
      lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX) {
    return throw_range(env, "sgemm: negative or too large dimension");
  }
  if (!fits(aoff, batch, sa, ta ? k : m, ta ? m : k, lda, len) ||
      !fits(boff, batch, sb, tb ? n : k, tb ? k : n, ldb, len) ||
      !fits(coff, batch, sc, m, n, ldc, len)) {
    return throw_range(env, "sgemm: an operand lies outside the buffer");
  }
  if (m == 0 || n == 0 || batch == 0) return NULL;
  for (int64_t i = 0; i < batch; i++) {
    float *c = (float *)(heap + coff + i * sc);
    if (k == 0) {
      /* op(A) op(B) is all zeros: C = beta * C, with beta 0 meaning overwrite. */
      for (int64_t r = 0; r < m; r++) {
        float *row = c + r * ldc;
        for (int64_t j = 0; j < n; j++) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
      }
      continue;
    }
    g_sgemm(CBLAS_ROW_MAJOR, ta ? CBLAS_TRANS : CBLAS_NO_TRANS, tb ? CBLAS_TRANS : CBLAS_NO_TRANS,
            (int)m, (int)n, (int)k, alpha, (const float *)(heap + aoff + i * sa), (int)lda,
            (const float *)(heap + boff + i * sb), (int)ldb, beta, c, (int)ldc);
  }
  return NULL;
}

/* sumRows(heap, xOff, rows, cols, outOff): out[j] = sum_i x[i, j] for a
 * row-major rows x cols float32 matrix, as ones^T X on BLAS (sgemv). */
static napi_value js_sum_rows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  int64_t len, xoff, rows, cols, ooff;
  if (g_sgemv == NULL) {
    napi_throw_error(env, "LAB_NATIVE_NO_BLAS", "no BLAS library is open");
    return NULL;
  }
  if (argc != 5 || !get_buffer(env, argv[0], &heap, &len) || !get_i64(env, argv[1], &xoff) ||
      !get_i64(env, argv[2], &rows) || !get_i64(env, argv[3], &cols) ||
      !get_i64(env, argv[4], &ooff)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "sumRows(heap, xOff, rows, cols, outOff)");
    return NULL;
  }
  if (rows < 0 || cols < 0 || rows > INT32_MAX || cols > INT32_MAX ||
      !fits(xoff, 1, 0, rows, cols, cols, len) || !fits(ooff, 1, 0, 1, cols, cols, len)) {
    return throw_range(env, "sumRows: an operand lies outside the buffer");
  }
  if (cols == 0) return NULL;
  float *out = (float *)(heap + ooff);
  if (rows == 0) {
    memset(out, 0, (size_t)cols * 4);
    return NULL;
  }
  if (g_ones_len < rows) {
    float *p = (float *)realloc(g_ones, (size_t)rows * 4);
    if (p == NULL) {
      napi_throw_error(env, "LAB_NATIVE_OOM", "sumRows: out of memory");
      return NULL;
    }
    for (int64_t i = g_ones_len; i < rows; i++) p[i] = 1.0f;
    g_ones = p;
    g_ones_len = rows;
  }
  g_sgemv(CBLAS_ROW_MAJOR, CBLAS_TRANS, (int)rows, (int)cols, 1.0f, (const float *)(heap + xoff),
          (int)cols, g_ones, 1, 0.0f, out, 1);
  return NULL;
}

/* gatherRows(heap, xOff, rows, rowBytes, idxOff, n, outOff): copies row idx[i]
 * of x (int32 indices) to row i of out. Returns false, copying nothing, when an
 * index is outside [0, rows). */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  int64_t len, xoff, rows, row_bytes, ioff, n, ooff;
  if (argc != 7 || !get_buffer(env, argv[0], &heap, &len) || !get_i64(env, argv[1], &xoff) ||
      !get_i64(env, argv[2], &rows) || !get_i64(env, argv[3], &row_bytes) ||
      !get_i64(env, argv[4], &ioff) || !get_i64(env, argv[5], &n) ||
      !get_i64(env, argv[6], &ooff)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "gatherRows(heap, xOff, rows, rowBytes, idxOff, n, outOff)");
    return NULL;
  }
  if (rows < 0 || row_bytes < 0 || n < 0 || xoff < 0 || ioff < 0 || ooff < 0 || (ioff & 3) != 0 ||
      xoff + rows * row_bytes > len || ioff + n * 4 > len || ooff + n * row_bytes > len) {
    return throw_range(env, "gatherRows: an operand lies outside the buffer");
  }
  const int32_t *idx = (const int32_t *)(heap + ioff);
  napi_value result;
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] < 0 || idx[i] >= rows) {
      CHECK(napi_get_boolean(env, false, &result));
      return result;
    }
  }
  if (row_bytes == 4 && ((xoff | ooff) & 3) == 0) {
    /* Single values (CoPE gathers millions a step): a plain copy, not a memcpy call each. */
    const uint32_t *src = (const uint32_t *)(heap + xoff);
    uint32_t *dst = (uint32_t *)(heap + ooff);
    for (int64_t i = 0; i < n; i++) dst[i] = src[idx[i]];
  } else {
    for (int64_t i = 0; i < n; i++) {
      memcpy(heap + ooff + i * row_bytes, heap + xoff + (int64_t)idx[i] * row_bytes, (size_t)row_bytes);
    }
  }
  CHECK(napi_get_boolean(env, true, &result));
  return result;
}

/* Reads `count` int64 arguments after the heap (argv[1..count]). */
static int get_args(napi_env env, napi_callback_info info, size_t count, uint8_t **heap, int64_t *len,
                    napi_value *argv, int64_t *out) {
  size_t argc = count + 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) return 0;
  if (!get_buffer(env, argv[0], heap, len)) return 0;
  for (size_t i = 0; i < count; i++) {
    if (!get_i64(env, argv[i + 1], &out[i])) return 0;
  }
  return 1;
}

/* True when n float32/int32 values at byte offset off lie in the buffer. */
static int span_ok(int64_t off, int64_t n, int64_t len) {
  return off >= 0 && n >= 0 && (off & 3) == 0 && off + n * 4 <= len;
}

/* scatterAddRows(heap, xOff, n, cols, idxOff, numSegments, outOff):
 * out = zeros[numSegments, cols]; out[idx[i]] += x[i] for ids in range (others
 * are dropped, as TensorFlow's UnsortedSegmentSum does). */
static napi_value js_scatter_add_rows(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t a[6];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 6, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "scatterAddRows(heap, xOff, n, cols, idxOff, numSegments, outOff)");
    return NULL;
  }
  int64_t xoff = a[0], n = a[1], cols = a[2], ioff = a[3], segs = a[4], ooff = a[5];
  if (n < 0 || cols < 0 || segs < 0 || !span_ok(xoff, n * cols, len) || !span_ok(ioff, n, len) ||
      !span_ok(ooff, segs * cols, len)) {
    return throw_range(env, "scatterAddRows: an operand lies outside the buffer");
  }
  float *out = (float *)(heap + ooff);
  const float *x = (const float *)(heap + xoff);
  const int32_t *idx = (const int32_t *)(heap + ioff);
  memset(out, 0, (size_t)(segs * cols) * 4);
  for (int64_t i = 0; i < n; i++) {
    int32_t id = idx[i];
    if (id < 0 || id >= segs) continue;
    float *dst = out + (int64_t)id * cols;
    const float *src = x + i * cols;
    for (int64_t j = 0; j < cols; j++) dst[j] += src[j];
  }
  return NULL;
}

/* copyRows(heap, srcOff, srcStride, dstOff, dstStride, rows, rowBytes): copies
 * `rows` rows of rowBytes bytes between strided layouts (concat and split
 * along any axis are this with outer rows and inner widths). */
static napi_value js_copy_rows(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t a[6];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 6, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "copyRows(heap, srcOff, srcStride, dstOff, dstStride, rows, rowBytes)");
    return NULL;
  }
  int64_t soff = a[0], sstride = a[1], doff = a[2], dstride = a[3], rows = a[4], rb = a[5];
  if (rows < 0 || rb < 0 || soff < 0 || doff < 0 || sstride < rb || dstride < rb) {
    return throw_range(env, "copyRows: bad geometry");
  }
  if (rows == 0 || rb == 0) return NULL;
  if (soff + (rows - 1) * sstride + rb > len || doff + (rows - 1) * dstride + rb > len) {
    return throw_range(env, "copyRows: an operand lies outside the buffer");
  }
  if (sstride == rb && dstride == rb) {
    memmove(heap + doff, heap + soff, (size_t)(rows * rb));
    return NULL;
  }
  for (int64_t r = 0; r < rows; r++) memcpy(heap + doff + r * dstride, heap + soff + r * sstride, (size_t)rb);
  return NULL;
}

/* adamw(heap, pOff, gOff (-1: zero gradient), mOff, vOff, n,
 *       beta1, 1 - beta1, beta2, 1 - beta2, 1 / sqrt(bc2), eps, lr / bc1, keep, gradScale)
 * One AdamW step in place, with the same float32 operations in the same
 * order as the composite (the scalars come from JavaScript's doubles, rounded
 * once to float32 as tf.scalar does):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p = keep p - (m / (sqrt(v) / sqrt(bc2) + eps)) (lr / bc1)
 * with keep = 1 - lr * weightDecay for decayed parameters (1 otherwise). */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  int64_t len, poff, goff, moff, voff, n;
  float b1, c1, b2, c2, inv_sqrt_bc2, eps, step, keep, gscale;
  if (argc != 15 || !get_buffer(env, argv[0], &heap, &len) || !get_i64(env, argv[1], &poff) ||
      !get_i64(env, argv[2], &goff) || !get_i64(env, argv[3], &moff) ||
      !get_i64(env, argv[4], &voff) || !get_i64(env, argv[5], &n) || !get_f32(env, argv[6], &b1) ||
      !get_f32(env, argv[7], &c1) || !get_f32(env, argv[8], &b2) || !get_f32(env, argv[9], &c2) ||
      !get_f32(env, argv[10], &inv_sqrt_bc2) || !get_f32(env, argv[11], &eps) ||
      !get_f32(env, argv[12], &step) || !get_f32(env, argv[13], &keep) ||
      !get_f32(env, argv[14], &gscale)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "adamw(heap, pOff, gOff, mOff, vOff, n, beta1, 1-beta1, beta2, 1-beta2, "
                          "1/sqrt(bc2), eps, lr/bc1, keep, gradScale)");
    return NULL;
  }
  if (n < 0 || !span_ok(poff, n, len) || !span_ok(moff, n, len) || !span_ok(voff, n, len) ||
      (goff != -1 && !span_ok(goff, n, len))) {
    return throw_range(env, "adamw: an operand lies outside the buffer");
  }
  float *p = (float *)(heap + poff);
  float *m = (float *)(heap + moff);
  float *v = (float *)(heap + voff);
  const float *g = goff == -1 ? NULL : (const float *)(heap + goff);
  for (int64_t i = 0; i < n; i++) {
    float gi = g ? (gscale == 1.0f ? g[i] : g[i] * gscale) : 0.0f;
    float mi = m[i] * b1 + gi * c1;
    float vi = v[i] * b2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    float denom = sqrtf(vi) * inv_sqrt_bc2 + eps;
    float u = (mi / denom) * step;
    p[i] = (keep == 1.0f ? p[i] : p[i] * keep) - u;
  }
  return NULL;
}

#define MAX_RANK 8

/* Reads a JS array of up to MAX_RANK integers. */
static int get_int_array(napi_env env, napi_value v, int64_t *out, uint32_t *n) {
  bool is_array = false;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array) return 0;
  if (napi_get_array_length(env, v, n) != napi_ok || *n > MAX_RANK) return 0;
  for (uint32_t i = 0; i < *n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || !get_i64(env, e, &out[i])) return 0;
  }
  return 1;
}

/* transpose(heap, xOff, shape[], perm[], outOff): out = x permuted (4-byte
 * elements), out.shape[i] = shape[perm[i]]. When the last axis stays last,
 * each innermost run is one memcpy (the attention head split/merge case). */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  int64_t len, xoff, ooff, shape[MAX_RANK], perm[MAX_RANK];
  uint32_t rank = 0, prank = 0;
  if (argc != 5 || !get_buffer(env, argv[0], &heap, &len) || !get_i64(env, argv[1], &xoff) ||
      !get_int_array(env, argv[2], shape, &rank) || !get_int_array(env, argv[3], perm, &prank) ||
      !get_i64(env, argv[4], &ooff) || rank != prank || rank == 0) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "transpose(heap, xOff, shape, perm, outOff)");
    return NULL;
  }
  int64_t size = 1, stride[MAX_RANK], oshape[MAX_RANK], ostride_src[MAX_RANK];
  int seen[MAX_RANK] = {0};
  for (int i = (int)rank - 1; i >= 0; i--) {
    if (shape[i] < 0) return throw_range(env, "transpose: negative dimension");
    stride[i] = size;
    size *= shape[i];
  }
  for (uint32_t i = 0; i < rank; i++) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]]) return throw_range(env, "transpose: bad permutation");
    seen[perm[i]] = 1;
    oshape[i] = shape[perm[i]];
    ostride_src[i] = stride[perm[i]]; /* source stride of each output axis */
  }
  if (!span_ok(xoff, size, len) || !span_ok(ooff, size, len)) {
    return throw_range(env, "transpose: an operand lies outside the buffer");
  }
  if (size == 0) return NULL;
  const uint32_t *x = (const uint32_t *)(heap + xoff);
  uint32_t *out = (uint32_t *)(heap + ooff);
  const int last = (int)rank - 1;
  const int64_t run = oshape[last];
  const int64_t run_stride = ostride_src[last];
  int64_t idx[MAX_RANK] = {0};
  int64_t src = 0;
  int64_t outer = size / run;
  for (int64_t o = 0; o < outer; o++) {
    uint32_t *dst = out + o * run;
    if (run_stride == 1) {
      memcpy(dst, x + src, (size_t)run * 4);
    } else {
      for (int64_t j = 0; j < run; j++) dst[j] = x[src + j * run_stride];
    }
    /* advance the odometer over the output axes before the last */
    for (int d = last - 1; d >= 0; d--) {
      idx[d]++;
      src += ostride_src[d];
      if (idx[d] < oshape[d]) break;
      src -= idx[d] * ostride_src[d];
      idx[d] = 0;
    }
  }
  return NULL;
}

/* exp(x) for float32 without a libm call, so the GELU and softmax loops
 * vectorise (libm's expf is a call per element, and GELU was the slowest
 * native kernel after sgemm): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6
 * polynomial for e^r (Cephes's expf coefficients, error about 1 ulp) and 2^n
 * built in the exponent bits. Branch-free; strict IEEE arithmetic (no
 * -ffast-math). x is clamped to [-87, 88], where e^x stays a normal float:
 * sigmoid(-u) for |u| > 87 is then 1.6e-38 instead of a smaller subnormal, far
 * below float32 resolution of the GELU output. */
static inline float fast_expf(float x) {
  /* Written so that NaN passes through (a NaN loss must stay NaN). */
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  /* Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (exact
   * under round-to-nearest; no floorf call, so it vectorises). */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * (r * r) + r + 1.0f;
  union {
    int32_t i;
    float f;
  } scale;
  scale.i = ((int32_t)n + 127) << 23;
  return e * scale.f;
}

/* On x86-64 the exp loops are compiled three times (AVX-512, AVX2, SSE2) and
 * the loader picks the widest the CPU runs (an ifunc; glibc). No FMA
 * contraction (-std=c11 keeps it off), so every clone computes the same
 * float32 values. GELU over [1024, 512] on the development machine: libm expf
 * 3.6 ns a value, this exp with SSE2 5.4, AVX2 2.8, AVX-512 1.6. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LAB_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LAB_VECTOR_CLONES
#endif

/* e[j] = exp(x[j] - shift) * scale for j < v. */
LAB_VECTOR_CLONES static void exp_shifted(const float *x, int64_t v, float shift, float scale, float *e) {
  for (int64_t j = 0; j < v; j++) e[j] = fast_expf(x[j] - shift) * scale;
}

/* Row log-sum-exp, as max + log(sum exp(x - max)): the exps vectorised in
 * chunks, summed in double. */
static double row_lse(const float *x, int64_t v) {
  float mx = x[0];
  for (int64_t j = 1; j < v; j++) mx = x[j] > mx ? x[j] : mx;
  float e[256];
  double s = 0.0;
  for (int64_t j0 = 0; j0 < v; j0 += 256) {
    int64_t m = v - j0 < 256 ? v - j0 : 256;
    exp_shifted(x + j0, m, mx, 1.0f, e);
    for (int64_t j = 0; j < m; j++) s += e[j];
  }
  return (double)mx + log(s);
}

/* softmaxXent(heap, xOff, n, vocab, targetsOff, weightsOff, outOff): out[0] =
 * sum_i w_i (lse(x_i) - x_i[t_i]). Returns -1, or the first row whose target
 * is outside [0, vocab) (nothing written then). */
static napi_value js_softmax_xent(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int64_t a[6];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 6, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "softmaxXent(heap, xOff, n, vocab, targetsOff, weightsOff, outOff)");
    return NULL;
  }
  int64_t xoff = a[0], n = a[1], voc = a[2], toff = a[3], woff = a[4], ooff = a[5];
  if (n < 0 || voc <= 0 || !span_ok(xoff, n * voc, len) || !span_ok(toff, n, len) ||
      !span_ok(woff, n, len) || !span_ok(ooff, 1, len)) {
    return throw_range(env, "softmaxXent: an operand lies outside the buffer");
  }
  const float *x = (const float *)(heap + xoff);
  const int32_t *t = (const int32_t *)(heap + toff);
  const float *w = (const float *)(heap + woff);
  napi_value result;
  for (int64_t i = 0; i < n; i++) {
    if (t[i] < 0 || t[i] >= voc) {
      CHECK(napi_create_int64(env, i, &result));
      return result;
    }
  }
  double loss = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const float *row = x + i * voc;
    float nll = (float)(row_lse(row, voc) - (double)row[t[i]]);
    loss += (double)(nll * w[i]);
  }
  *(float *)(heap + ooff) = (float)loss;
  CHECK(napi_create_int64(env, -1, &result));
  return result;
}

/* softmaxXentGrad(heap, xOff, n, vocab, targetsOff, weightsOff, dy, outOff):
 * out[i, j] = (softmax(x_i)_j - [j == t_i]) * w_i * dy. */
static napi_value js_softmax_xent_grad(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *heap;
  int64_t len, xoff, n, voc, toff, woff, ooff;
  float dy;
  if (argc != 8 || !get_buffer(env, argv[0], &heap, &len) || !get_i64(env, argv[1], &xoff) ||
      !get_i64(env, argv[2], &n) || !get_i64(env, argv[3], &voc) || !get_i64(env, argv[4], &toff) ||
      !get_i64(env, argv[5], &woff) || !get_f32(env, argv[6], &dy) || !get_i64(env, argv[7], &ooff)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "softmaxXentGrad(heap, xOff, n, vocab, targetsOff, weightsOff, dy, outOff)");
    return NULL;
  }
  if (n < 0 || voc <= 0 || !span_ok(xoff, n * voc, len) || !span_ok(toff, n, len) ||
      !span_ok(woff, n, len) || !span_ok(ooff, n * voc, len)) {
    return throw_range(env, "softmaxXentGrad: an operand lies outside the buffer");
  }
  const float *x = (const float *)(heap + xoff);
  const int32_t *t = (const int32_t *)(heap + toff);
  const float *w = (const float *)(heap + woff);
  float *out = (float *)(heap + ooff);
  for (int64_t i = 0; i < n; i++) {
    const float *row = x + i * voc;
    float *o = out + i * voc;
    float lse = (float)row_lse(row, voc);
    float scale = w[i] * dy;
    exp_shifted(row, voc, lse, scale, o);
    if (t[i] >= 0 && t[i] < voc) o[t[i]] -= scale;
  }
  return NULL;
}

/* GELU, tanh approximation, as x * sigmoid(c (x + a x^3)) with c = 2 sqrt(2/pi):
 * 0.5 (1 + tanh z) = sigmoid(2 z) exactly. */
#define GELU_A 0.044715f
#define GELU_C 1.5957691216057308f

/* y = x * sigmoid(GELU_C (x + GELU_A x^3)); y may be x. */
LAB_VECTOR_CLONES static void gelu_forward(const float *x, int64_t n, float *y) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float u = GELU_C * (v + GELU_A * v * v * v);
    y[i] = v / (1.0f + fast_expf(-u));
  }
}

/* dx = dy * d/dx [x sigmoid(u)] = dy (s + x s (1 - s) du/dx). */
LAB_VECTOR_CLONES static void gelu_backward(const float *dy, const float *x, int64_t n, float *dx) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float u = GELU_C * (v + GELU_A * v * v * v);
    float s = 1.0f / (1.0f + fast_expf(-u));
    float du = GELU_C * (1.0f + 3.0f * GELU_A * v * v);
    dx[i] = dy[i] * (s + v * s * (1.0f - s) * du);
  }
}

/* gelu(heap, xOff, n, outOff) */
static napi_value js_gelu(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int64_t a[3];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 3, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "gelu(heap, xOff, n, outOff)");
    return NULL;
  }
  if (!span_ok(a[0], a[1], len) || !span_ok(a[2], a[1], len)) {
    return throw_range(env, "gelu: an operand lies outside the buffer");
  }
  gelu_forward((const float *)(heap + a[0]), a[1], (float *)(heap + a[2]));
  return NULL;
}

/* geluGrad(heap, dyOff, xOff, n, dxOff): dx = dy * d gelu(x) / dx. */
static napi_value js_gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int64_t a[4];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 4, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS", "geluGrad(heap, dyOff, xOff, n, dxOff)");
    return NULL;
  }
  int64_t n = a[2];
  if (!span_ok(a[0], n, len) || !span_ok(a[1], n, len) || !span_ok(a[3], n, len)) {
    return throw_range(env, "geluGrad: an operand lies outside the buffer");
  }
  gelu_backward((const float *)(heap + a[0]), (const float *)(heap + a[1]), n, (float *)(heap + a[3]));
  return NULL;
}

/* Row mean and 1/sqrt(var + eps) (biased variance), accumulated in double. */
/* The double sums below run in 8 lanes (added up at the end), so they
 * vectorise without -ffast-math and give the same value in every clone. */
#define LANES 8

LAB_VECTOR_CLONES static void row_sums(const float *restrict x, int64_t cols, double *sum) {
  double s[LANES] = {0};
  int64_t j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int k = 0; k < LANES; k++) s[k] += x[j + k];
  for (; j < cols; j++) s[0] += x[j];
  double t = 0.0;
  for (int k = 0; k < LANES; k++) t += s[k];
  *sum = t;
}

LAB_VECTOR_CLONES static void row_sq_dev(const float *restrict x, int64_t cols, double m, double *sum) {
  double s[LANES] = {0};
  int64_t j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int k = 0; k < LANES; k++) {
      double d = x[j + k] - m;
      s[k] += d * d;
    }
  for (; j < cols; j++) {
    double d = x[j] - m;
    s[0] += d * d;
  }
  double t = 0.0;
  for (int k = 0; k < LANES; k++) t += s[k];
  *sum = t;
}

static void row_stats(const float *x, int64_t cols, float eps, float *mean, float *rstd) {
  double s, v;
  row_sums(x, cols, &s);
  double m = s / (double)cols;
  row_sq_dev(x, cols, m, &v);
  *mean = (float)m;
  *rstd = (float)(1.0 / sqrt(v / (double)cols + (double)eps));
}

/* One row of y = (x - mean) * rstd * gamma (+ beta). */
LAB_VECTOR_CLONES static void ln_row(const float *restrict x, int64_t cols, float mean, float rstd,
                                     const float *restrict g, const float *restrict b,
                                     float *restrict y) {
  if (b) {
    for (int64_t j = 0; j < cols; j++) y[j] = (x[j] - mean) * rstd * g[j] + b[j];
  } else {
    for (int64_t j = 0; j < cols; j++) y[j] = (x[j] - mean) * rstd * g[j];
  }
}

/* One row of the layer-norm backward: adds dy * xhat and dy to the column
 * sums and returns the row sums of g = dy * gamma and of g * xhat. */
LAB_VECTOR_CLONES static void ln_grad_row_sums(const float *restrict x, const float *restrict dy,
                                               const float *restrict gamma, int64_t cols,
                                               float mean, float rstd, double *restrict acc_g,
                                               double *restrict acc_b, double *sum_g,
                                               double *sum_gx) {
  double sg[LANES] = {0}, sgx[LANES] = {0};
  int64_t j = 0;
  for (; j + LANES <= cols; j += LANES)
    for (int k = 0; k < LANES; k++) {
      float xhat = (x[j + k] - mean) * rstd;
      float gj = dy[j + k] * gamma[j + k];
      sg[k] += gj;
      sgx[k] += (double)gj * xhat;
    }
  for (; j < cols; j++) {
    float xhat = (x[j] - mean) * rstd;
    float gj = dy[j] * gamma[j];
    sg[0] += gj;
    sgx[0] += (double)gj * xhat;
  }
  for (j = 0; j < cols; j++) {
    float xhat = (x[j] - mean) * rstd;
    acc_g[j] += (double)dy[j] * xhat;
    acc_b[j] += dy[j];
  }
  double a = 0.0, c = 0.0;
  for (int k = 0; k < LANES; k++) {
    a += sg[k];
    c += sgx[k];
  }
  *sum_g = a;
  *sum_gx = c;
}

/* One row of dx = rstd (dy * gamma - mean(g) - xhat mean(g xhat)). */
LAB_VECTOR_CLONES static void ln_grad_row_dx(const float *restrict x, const float *restrict dy,
                                             const float *restrict gamma, int64_t cols, float mean,
                                             float rstd, float mg, float mgx, float *restrict dx) {
  for (int64_t j = 0; j < cols; j++) {
    float xhat = (x[j] - mean) * rstd;
    dx[j] = rstd * (dy[j] * gamma[j] - mg - xhat * mgx);
  }
}

/* layerNorm(heap, xOff, rows, cols, gammaOff, betaOff (-1: none), eps*1e12, outOff)
 * y = (x - mean) * rstd * gamma + beta over the last axis. eps travels as an
 * integer number of 1e-12 units so every argument is an exact integer. */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  int64_t a[7];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 7, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "layerNorm(heap, xOff, rows, cols, gammaOff, betaOff, epsPico, outOff)");
    return NULL;
  }
  int64_t xoff = a[0], rows = a[1], cols = a[2], goff = a[3], boff = a[4], ooff = a[6];
  float eps = (float)((double)a[5] * 1e-12);
  if (rows < 0 || cols <= 0 || !span_ok(xoff, rows * cols, len) || !span_ok(ooff, rows * cols, len) ||
      !span_ok(goff, cols, len) || (boff != -1 && !span_ok(boff, cols, len))) {
    return throw_range(env, "layerNorm: an operand lies outside the buffer");
  }
  const float *g = (const float *)(heap + goff);
  const float *b = boff == -1 ? NULL : (const float *)(heap + boff);
  for (int64_t r = 0; r < rows; r++) {
    const float *x = (const float *)(heap + xoff) + r * cols;
    float *y = (float *)(heap + ooff) + r * cols;
    float mean, rstd;
    row_stats(x, cols, eps, &mean, &rstd);
    ln_row(x, cols, mean, rstd, g, b, y);
  }
  return NULL;
}

/* layerNormGrad(heap, dyOff, xOff, rows, cols, gammaOff, epsPico, dxOff, dgammaOff, dbetaOff (-1: none))
 * dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy * gamma;
 * dgamma = sum_rows dy xhat; dbeta = sum_rows dy. */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  int64_t a[9];
  uint8_t *heap;
  int64_t len;
  if (!get_args(env, info, 9, &heap, &len, argv, a)) {
    napi_throw_type_error(env, "LAB_NATIVE_ARGS",
                          "layerNormGrad(heap, dyOff, xOff, rows, cols, gammaOff, epsPico, dxOff, "
                          "dgammaOff, dbetaOff)");
    return NULL;
  }
  int64_t dyoff = a[0], xoff = a[1], rows = a[2], cols = a[3], goff = a[4], dxoff = a[6],
          dgoff = a[7], dboff = a[8];
  float eps = (float)((double)a[5] * 1e-12);
  if (rows < 0 || cols <= 0 || !span_ok(dyoff, rows * cols, len) ||
      !span_ok(xoff, rows * cols, len) || !span_ok(dxoff, rows * cols, len) ||
      !span_ok(goff, cols, len) || !span_ok(dgoff, cols, len) ||
      (dboff != -1 && !span_ok(dboff, cols, len))) {
    return throw_range(env, "layerNormGrad: an operand lies outside the buffer");
  }
  const float *gamma = (const float *)(heap + goff);
  float *dg = (float *)(heap + dgoff);
  float *db = dboff == -1 ? NULL : (float *)(heap + dboff);
  double *acc_g = (double *)calloc((size_t)cols * 2, sizeof(double));
  if (acc_g == NULL) {
    napi_throw_error(env, "LAB_NATIVE_OOM", "layerNormGrad: out of memory");
    return NULL;
  }
  double *acc_b = acc_g + cols;
  for (int64_t r = 0; r < rows; r++) {
    const float *x = (const float *)(heap + xoff) + r * cols;
    const float *dy = (const float *)(heap + dyoff) + r * cols;
    float *dx = (float *)(heap + dxoff) + r * cols;
    float mean, rstd;
    row_stats(x, cols, eps, &mean, &rstd);
    double sum_g, sum_gx;
    ln_grad_row_sums(x, dy, gamma, cols, mean, rstd, acc_g, acc_b, &sum_g, &sum_gx);
    float mg = (float)(sum_g / (double)cols);
    float mgx = (float)(sum_gx / (double)cols);
    ln_grad_row_dx(x, dy, gamma, cols, mean, rstd, mg, mgx, dx);
  }
  for (int64_t j = 0; j < cols; j++) {
    dg[j] = (float)acc_g[j];
    if (db) db[j] = (float)acc_b[j];
  }
  free(acc_g);
  return NULL;
}

/* Writable and configurable, so tests can wrap a method to count calls. */
#define METHOD(name, fn)                                                                           \
  {                                                                                                \
    name, NULL, fn, NULL, NULL, NULL,                                                              \
        (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL      \
  }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      METHOD("open", js_open),
      METHOD("setThreads", js_set_threads),
      METHOD("sgemm", js_sgemm),
      METHOD("sumRows", js_sum_rows),
      METHOD("gatherRows", js_gather_rows),
      METHOD("scatterAddRows", js_scatter_add_rows),
      METHOD("copyRows", js_copy_rows),
      METHOD("adamw", js_adamw),
      METHOD("transpose", js_transpose),
      METHOD("softmaxXent", js_softmax_xent),
      METHOD("softmaxXentGrad", js_softmax_xent_grad),
      METHOD("gelu", js_gelu),
      METHOD("geluGrad", js_gelu_grad),
      METHOD("layerNorm", js_layer_norm),
      METHOD("layerNormGrad", js_layer_norm_grad),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
