/**
 * SPICE through the official SPICE 1.0 jar, as pycocoevalcap runs it.
 *
 * @packageDocumentation
 */
export {
  SPICE_CATEGORIES,
  parseSpiceOutput,
  type SpiceCategory,
  type SpiceCategoryScores,
  type SpiceResult,
} from './spice-output';
export { locateSpice, spice, type SpiceLocation, type SpiceOptions } from './spice-runner';
