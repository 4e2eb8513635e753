/** JSON values, and the interface of anything whose state a checkpoint stores as JSON. */

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Something whose state is saved in a checkpoint's JSON and restored on resume (a data loader's position,
 * a {@link ReduceLROnPlateau}, a counter...). The state must survive `JSON.stringify` / `JSON.parse`
 * (plain objects, arrays, strings, finite numbers, booleans, null).
 */
export interface Stateful<S = unknown> {
  /** The current state, JSON-safe. */
  getState(): S;
  /** Restores a state returned by `getState` (possibly in another process). */
  setState(state: S): void;
}
