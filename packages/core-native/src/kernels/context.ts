/**
 * What every accelerated kernel gets: tfjs-core (passed in by @lab/core so that
 * one engine instance is used), the addon, and the kernel it replaces (kept
 * for the cases it does not cover).
 */
import type * as tfCore from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';

export type TfCore = typeof tfCore;

export interface KernelContext {
  tf: TfCore;
  addon: NativeAddon;
  /** The wasm backend's own kernel function for the same kernel name. */
  original: tfCore.KernelFunc;
}

/** One accelerated kernel: its tfjs kernel name and a factory for its function. */
export interface AcceleratedKernel {
  kernelName: string;
  create(ctx: KernelContext): tfCore.KernelFunc;
}
