/**
 * @lab/core-native: an optional native accelerator for @lab/core's wasm
 * backend. @lab/core's initBackend() loads it when installed; users rarely
 * call it directly. The public API is exactly what this file exports.
 */
export type { AdamWStepArgs } from './adamw.js';
export { adamwInPlace } from './adamw.js';
export type { NativeAddon } from './addon.js';
export { defaultAddonPath, loadAddon } from './addon.js';
export type { BlasInfo, BlasOptions, BlasResult } from './blas.js';
export { BLAS_CANDIDATES, DEFAULT_MIN_GFLOPS, openBlas } from './blas.js';
export { FUSED_GELU, FUSED_GELU_GRAD } from './kernels/fused-gelu.js';
export { FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD } from './kernels/fused-layer-norm.js';
export type { AcceleratorOptions, AcceleratorReport } from './register.js';
export {
  ACCELERATED_KERNELS,
  disableWasmAccelerator,
  enableWasmAccelerator,
  FUSED_KERNELS,
} from './register.js';
