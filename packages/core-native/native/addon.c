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
  for (int64_t i = 0; i < n; i++) {
    memcpy(heap + ooff + i * row_bytes, heap + xoff + (int64_t)idx[i] * row_bytes, (size_t)row_bytes);
  }
  CHECK(napi_get_boolean(env, true, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL},
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL},
      {"sumRows", NULL, js_sum_rows, NULL, NULL, NULL, (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL},
      {"gatherRows", NULL, js_gather_rows, NULL, NULL, NULL, (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
