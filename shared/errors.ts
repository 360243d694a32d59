// Errors as data: services throw AppError(code, message); adapters (IPC, HTTP, CLI) turn it into {code, message}.

export const ERROR_CODES = [
  'NOT_DICOM',
  'TRUNCATED',
  'UNSUPPORTED_TRANSFER_SYNTAX',
  'DECODE_FAILED',
  'INCONSISTENT_GEOMETRY',
  'NO_PIXEL_DATA',
  'NOT_FOUND',
  'INVALID_INPUT',
  'UNSAFE_GEOMETRY',
  'DB_FROM_NEWER_VERSION',
  'IO_ERROR',
  'NOT_NIFTI',
  'CANCELLED',
  'MODEL_INVALID',
  /** A well-formed model this engine cannot run correctly (a cascade, region-based labels, several input channels...). */
  'MODEL_UNSUPPORTED',
  'INFERENCE_FAILED',
  'MODALITY_MISMATCH',
  'UNAUTHORIZED',
  'CONFLICT',
  /** A file needed more memory, time or nesting than one untrusted input may use (a parse or decompression bomb). */
  'RESOURCE_LIMIT',
  /** Stored results were computed on an older version of their input (e.g. a label map edited since): recompute. */
  'STALE_RESULT',
  /** A file states BurnedInAnnotation = YES: de-identified export refused unless the user overrides it. */
  'BURNED_IN_ANNOTATION',
  /** A DICOM network operation (C-STORE) failed: no listener, association rejected, or a failure status. */
  'SEND_FAILED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}
