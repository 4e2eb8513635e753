import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tooling/tsup/library';

// tfjs-core's gradient and chained-op registrations are ES modules Node cannot load from the package: bundle them
// (they register into tfjs-core's global registries; see src/nn/tfjs-gradients.ts)
export default defineConfig(
  libraryConfig(['src/index.ts'], { noExternal: [/^@tensorflow\/tfjs-core\/dist\//], shims: true }),
);
