import { defineConfig } from 'tsup';
import { labPackageBuild } from '../../tsup.shared';

// The CLI is a second entry; types come from the library entry only.
export default defineConfig(
  labPackageBuild({
    entry: ['src/index.ts', 'src/cli.ts'],
    dts: { entry: 'src/index.ts', compilerOptions: { ignoreDeprecations: '6.0' } },
  }),
);
