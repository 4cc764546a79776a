#!/usr/bin/python3
"""numpy baseline for benchmarks/core-matmul.ts: float32 matmul GFLOP/s on the
same shapes and transpose cases, OpenBLAS pinned to 1 thread by the caller
(OPENBLAS_NUM_THREADS=1). Reads the cases as JSON on stdin, prints JSON.

Transposed operands are numpy views (a.T), which numpy hands to BLAS as
transpose flags, as the accelerator does."""
import ctypes
import json
import sys
import time

import numpy as np


def openblas_core():
    """The OpenBLAS build and kernel numpy runs (read from the loaded library), or None."""
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if ".so" in line and "blas" in line.lower()})
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return f"{lib.openblas_get_config().decode()} core={lib.openblas_get_corename().decode()} ({path})"
        except (OSError, AttributeError):
            continue
    return None


def operand(rng, batch, rows, cols, transpose):
    shape = (cols, rows) if transpose else (rows, cols)
    if batch is not None:
        shape = (batch,) + shape
    x = rng.standard_normal(shape).astype(np.float32)
    return np.swapaxes(x, -1, -2) if transpose else x


def main():
    cases = json.load(sys.stdin)
    rng = np.random.default_rng(0)
    out = []
    for c in cases:
        b = c.get("batch")
        a = operand(rng, b, c["m"], c["k"], c["transposeA"])
        w = operand(rng, b, c["k"], c["n"], c["transposeB"])
        flops = 2.0 * (b or 1) * c["m"] * c["n"] * c["k"]
        np.matmul(a, w)  # warm-up
        times = []
        start = time.perf_counter()
        while len(times) < 3 or (time.perf_counter() - start < 0.3 and len(times) < 200):
            t0 = time.perf_counter()
            np.matmul(a, w)
            times.append(time.perf_counter() - t0)
        # Best run, as the TypeScript side reports (slow runs measure the neighbours).
        out.append({"id": c["id"], "gflops": flops / min(times) / 1e9})
    json.dump({"numpy": np.__version__, "blas": openblas_core(), "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
