/**
 * `@tensorflow/tfjs-core`'s package entry registers no gradient functions (`tf.variableGrads` then fails with
 * "gradient function not found for Sum") nor the chained tensor methods (`x.add(y)`); they live in its ES module
 * tree (`dist/register_all_gradients.js`, `dist/public/chained_ops/register_all_chained_ops.js`), which the
 * `@tensorflow/tfjs` union imports. We import the same two files instead of the union (webgl, converter, layers,
 * data: 240 MB we do not use). They are ES modules with extension-less imports that Node cannot load itself, so
 * tsup bundles them into dist (see tsup.config.ts) and vitest inlines them (vitest.config.ts); they register into
 * tfjs-core's global registries, shared by every copy. Every file of the layer and loss library imports this module
 * so that training works whichever tfjs entry the application imported; package.json `sideEffects` lists it.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
