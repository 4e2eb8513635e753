/**
 * `@caption/example-show-tell`: ImageCaptioning.pytorch's `ShowTellModel` on `@caption/core` layers, and
 * its entry (`captionModel: show_tell`) for the shared training driver, evaluation and report.
 *
 * @packageDocumentation
 */
export { ShowTellModel, type ShowTellConfig } from './show-tell-model';
export { showTellFactory } from './factory';
