// A Node module-resolution hook for test child processes that run core's TypeScript source (`node --import tsx
// --import ./src/testing/tfjs-core-esm.mjs script.ts`). Core registers tfjs's gradients from tfjs-core's ES module
// tree (src/nn/tfjs-gradients.ts), whose imports name files without their `.js` (`./gradients/Abs_grad`, and
// `./gradients` beside a `gradients/` folder). tsup bundles that tree into dist; here Node must resolve it itself.
const TREE = '/@tensorflow/tfjs-core/dist/';

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('.') && !specifier.endsWith('.js') && (context.parentURL ?? '').includes(TREE)) {
    return nextResolve(`${specifier}.js`, context);
  }
  return nextResolve(specifier, context);
}
