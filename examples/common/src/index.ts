/**
 * `@caption/example-common`: what the caption examples share: the reference's options (`opts.py` names in
 * camelCase, config files, command-line overrides), the training driver (cross-entropy with label
 * smoothing and scheduled sampling, then self-critical with the CIDEr-D reward), evaluation with
 * `@caption/metrics`, the HTML report, and the command line every example exposes.
 *
 * @packageDocumentation
 */
export { ExampleDataError, ExampleOptionsError } from './errors';
export {
  booleanOption,
  closestName,
  enumOption,
  flagOption,
  intOption,
  kebabCase,
  numberOption,
  OptionParser,
  pathOption,
  readConfigFile,
  snakeCase,
  stringOption,
  withReference,
  type OptionDef,
  type OptionKind,
  type OptionTable,
  type OptionValues,
  type ParsedOptions,
  type ParseInput,
} from './option-parser';
export {
  EVAL_OPTIONS,
  evalOptionParser,
  TRAIN_OPTIONS,
  trainOptionParser,
  type EvalOptions,
  type TrainOptions,
} from './options';
export type { Captioner, CaptionerFactory, CaptionFeatures, DataShape } from './captioner';
export {
  batchTeacherForcingRows,
  disposeFeatures,
  featureTensors,
  LoaderBatchSource,
  teacherForcingRows,
  type TeacherForcingRows,
} from './batches';
export {
  crossEntropyLoss,
  selfCriticalBaseline,
  selfCriticalStepLoss,
  teacherForcedLogprobs,
  type SelfCriticalBatch,
  type SelfCriticalOptions,
  type SelfCriticalStep,
} from './criteria';
export {
  ciderDScorerFromCache,
  documentFrequencyFile,
  makeLoader,
  openRunData,
  readRewardScorer,
  type DataOptions,
  type RunData,
} from './data';
export {
  captionSplit,
  captionText,
  chooseMeteor,
  decodeBatch,
  readResults,
  scoreResults,
  splitReferences,
  type CaptionResult,
  type DecodingOptions,
  type MeteorChoice,
} from './evaluation';
export {
  checkTrainOptions,
  runTraining,
  type AnyFactory,
  type TrainingHistory,
  type TrainingResult,
  type ValidationRecord,
} from './train';
export { runEval, type EvalOutput } from './eval-command';
export { PREPRO_OPTIONS, preproOptionParser, runPrepro, type PreproOptions, type PreproOutputs } from './prepro';
export {
  lineChart,
  SCORE_KEYS,
  parseRunsOption,
  REPORT_OPTIONS,
  reportOptionParser,
  runReport,
  writeReport,
  type ReportModel,
  type ReportOptions,
  type ReportSpec,
} from './report';
export { isUserFacingError, runExampleCli, type ExampleCliOptions } from './cli';
