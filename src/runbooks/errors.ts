// The one error base class. Thrown only for bugs, misconfiguration and infrastructure failures;
// expected outcomes (a failed command, an invalid runbook, a refused approval) are returned as data.
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'TARGET_UNKNOWN'
  | 'RUNBOOK_UNKNOWN'
  | 'RUNBOOK_INVALID'
  | 'STATE_INVALID'
  | 'ENGINE_INVARIANT'
  | 'ACTION_UNSUPPORTED'
  | 'EXECUTOR_MISCONFIGURED'
  | 'HOST_KEY_MISMATCH'
  | 'STORE_CONFLICT'
  | 'INFRA_UNAVAILABLE'
  | 'LAB_FAILED';

export class RunbookBotError extends Error {
  readonly code: ErrorCode;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'RunbookBotError';
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export function isRunbookBotError(e: unknown, code?: ErrorCode): e is RunbookBotError {
  return e instanceof RunbookBotError && (code === undefined || e.code === code);
}
