/**
 * `@tensorflow/tfjs-core`'s Node entry registers no gradient functions (`tf.variableGrads` then fails with
 * "gradient function not found for Sum"); the `@tensorflow/tfjs` union package registers all of them in
 * tfjs's global gradient registry. Every file of the layer and loss library imports this module so that
 * training works whichever tfjs entry the application imported.
 */
import '@tensorflow/tfjs';
