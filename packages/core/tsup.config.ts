import { defineConfig } from 'tsup';
import { labPackageBuild } from '../../tsup.shared';

export default defineConfig(labPackageBuild());
