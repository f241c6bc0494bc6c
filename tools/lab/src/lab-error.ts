// The lab's own failure: a scenario that could not be built is a broken test bench, not a product
// error, so the product's error codes carry nothing of it.
export class LabError extends Error {
  override readonly cause?: unknown;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'LabError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export const isLabError = (e: unknown): e is LabError => e instanceof LabError;
