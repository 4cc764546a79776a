/**
 * The build every @lab package shares: ESM + CJS + .d.ts for Node 20 from
 * src/index.ts. A package's tsup.config.ts passes only what differs.
 */
import type { Options } from 'tsup';

export function labPackageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    // TypeScript 6 deprecates options tsup's .d.ts step still sets.
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    ...overrides,
  };
}
