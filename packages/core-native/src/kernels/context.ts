/**
 * What every accelerated kernel gets: tfjs-core (passed in by @lab/core so that
 * one engine instance is used), the addon, and, for a kernel that replaces one
 * of the wasm backend's, the original (kept for the cases it does not cover).
 */
import type * as tfCore from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';

export type TfCore = typeof tfCore;

export interface KernelContextBase {
  tf: TfCore;
  addon: NativeAddon;
}

export interface KernelContext extends KernelContextBase {
  /** The wasm backend's own kernel function for the same kernel name. */
  original: tfCore.KernelFunc;
}

/** A kernel that replaces one the wasm backend (or @lab/core) registered. */
export interface AcceleratedKernel {
  kernelName: string;
  create(ctx: KernelContext): tfCore.KernelFunc;
}

/** A new kernel (fused op) with, for forward kernels, its gradient. */
export interface FusedKernel {
  kernelName: string;
  create(ctx: KernelContextBase): tfCore.KernelFunc;
  gradient?(ctx: KernelContextBase): tfCore.GradConfig;
}
