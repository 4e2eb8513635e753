/**
 * Errors raised by backend selection, kernel registration and memory planning.
 */

/** A backend could not be initialised, or an internal assumption about a backend does not hold. */
export class BackendError extends Error {
  /** Always `'BackendError'`. */
  override readonly name = 'BackendError';
}

/**
 * A planned computation does not fit into the wasm backend's heap (at most 4 GiB). Raised before the
 * work starts, instead of the backend's opaque `Aborted()`.
 */
export class WasmMemoryError extends Error {
  /** Always `'WasmMemoryError'`. */
  override readonly name = 'WasmMemoryError';

  /**
   * @param message what does not fit, and what to do about it
   * @param requiredBytes the estimated bytes the computation needs
   * @param availableBytes the bytes the wasm heap can still provide
   */
  constructor(
    message: string,
    readonly requiredBytes: number,
    readonly availableBytes: number,
  ) {
    super(message);
  }
}
