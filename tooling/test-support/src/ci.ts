/**
 * Whether this is a CI run: `CI` set to anything but `''`, `0` or `false` (what CI services and `.ci/run`
 * set). There, reference data that is missing fails the tests instead of skipping them, and a run with a
 * skipped test fails.
 */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
