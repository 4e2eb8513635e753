import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tooling/tsup/library';

export default defineConfig(libraryConfig(['src/index.ts']));
