#!/usr/bin/env bash
# Debian packages the tests use: OpenBLAS (the native accelerator's BLAS), the
# reference libblas3 (a slow BLAS the accelerator must refuse) and
# numpy (a second safetensors implementation in the io tests), PyTorch (the
# accelerator's loss-curve parity test against the same model), Jupyter (the
# notebooks run headless). Skipped when already present. Optional (a failed
# install only warns): clang-14 + lld-14 + llvm-14, with which a test rebuilds
# core's WebAssembly SIMD kernels from packages/core/wasm/kernels.c and
# compares them with the committed binary (it skips without them).
set -euo pipefail
need=()
for pkg in libopenblas0-pthread libblas3 python3-numpy python3-torch jupyter-nbconvert python3-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
optional=()
for pkg in clang-14 lld-14 llvm-14; do
  dpkg -s "$pkg" >/dev/null 2>&1 || optional+=("$pkg")
done
if [ ${#optional[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  [ ${#need[@]} -gt 0 ] || apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null ||
    echo "warning: could not install ${optional[*]}; the wasm-kernel rebuild test will skip" >&2
fi
