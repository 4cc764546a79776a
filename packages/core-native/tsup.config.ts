import { defineConfig } from 'tsup';
import { labPackageBuild } from '../../tsup.shared';

// import.meta.url locates the addon binary from the CJS build too.
export default defineConfig(labPackageBuild({ shims: true }));
