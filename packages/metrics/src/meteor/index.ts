/**
 * METEOR 1.5 (as coco-caption runs it) in pure TypeScript.
 *
 * @packageDocumentation
 */
export { meteor, type MeteorOptions } from './meteor';
export { MeteorScorer, METEOR_RESOURCE_PATHS, type MeteorResourceFiles, type MeteorResult } from './scorer';
export {
  formatMeteorStats,
  METEOR_ENGLISH_PARAMETERS,
  meteorScoreFromStats,
  parseMeteorStats,
  sumMeteorStats,
  type MeteorParameters,
  type MeteorStats,
} from './stats';
export { ParaphraseTable, ParaphraseTableBuilder, type ParaphraseTableStats } from './paraphrase-table';
export { meteorResourceFilesFromJar } from './jar-resources';
export {
  loadMeteorScorer,
  loadParaphraseTable,
  locateMeteorData,
  type MeteorDataLocation,
  type MeteorDataOptions,
  type ParaphraseTableLoad,
} from './node-data';
