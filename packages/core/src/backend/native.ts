/**
 * Loads the optional `@lab/core-native` accelerator for the wasm backend.
 * Issue #3 fills this in; until then it reports itself off.
 */
export interface AcceleratorStatus {
  enabled: boolean;
  /** Why it is off, or what it runs on (library, version) when on. */
  reason: string;
  /** Kernels it replaced on the wasm backend. */
  kernels?: string[];
}

export async function loadNativeAccelerator(): Promise<AcceleratorStatus> {
  return { enabled: false, reason: '@lab/core-native is not installed' };
}
