/**
 * `@caption/example-clipcap`: the CLIP + GPT system (the seed system and ClipCap) on the shapes data: CLIP
 * pre-training with a GPT-2 text tower, retrieval recall, captioners initialised from CLIP's text tower, evaluation
 * with `@caption/metrics`, an ensemble, the initialisation ablation and the report. `runPipeline` is what the
 * repository's demo runs (in a child process, through `src/cli.ts pipeline`).
 *
 * @packageDocumentation
 */
export { pipelineEnvironment, runPipeline, type PipelineSummary, type RetrievalSummary } from './pipeline';
