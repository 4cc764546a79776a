import { defineConfig } from 'tsup';
import { labPackageBuild } from '../../tsup.shared';

// p-limit is ESM-only; bundling it lets the CJS build require this package.
export default defineConfig(labPackageBuild({ noExternal: ['p-limit', 'yocto-queue'] }));
