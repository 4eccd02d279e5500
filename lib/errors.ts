/** Every error sentvec throws is a SentvecError with a stable `code`. */
export class SentvecError extends Error {
  /** The stable code of the class, e.g. `ERR_INVALID_ARG`: compare this, not the message. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument has the wrong type or value (`ERR_INVALID_ARG`). */
export class InvalidArgumentError extends SentvecError {
  /** The input of the call that the error is about (its index), when it is about one. */
  readonly index?: number;

  constructor(message: string, index?: number) {
    super('ERR_INVALID_ARG', message);
    if (index !== undefined) this.index = index;
  }
}

/** A file of the model directory is missing, empty, corrupt or unsupported (`ERR_MODEL_FILE`). */
export class ModelFileError extends SentvecError {
  /** The file (or directory) the error is about. */
  readonly file: string;
  constructor(file: string, message: string) {
    super('ERR_MODEL_FILE', message);
    this.file = file;
  }
}

/** An input is longer than `maxSeqLength` and `truncate: false` was asked (`ERR_INPUT_TOO_LONG`). */
export class InputTooLongError extends SentvecError {
  /** The input of the call that is too long (its index), when known. */
  readonly index?: number;

  constructor(message: string, index?: number) {
    super('ERR_INPUT_TOO_LONG', message);
    if (index !== undefined) this.index = index;
  }
}

/** The scheduler's queue is full (`ERR_QUEUE_FULL`): retry later. */
export class QueueFullError extends SentvecError {
  constructor(message: string) {
    super('ERR_QUEUE_FULL', message);
  }
}

/** A model or index was used after `dispose()` (`ERR_DISPOSED`). */
export class DisposedError extends SentvecError {
  constructor(message = 'the model was disposed; load it again with Model.load()') {
    super('ERR_DISPOSED', message);
  }
}

/** ONNX Runtime failed while running the model, or a reranker's rank() answered something that is no ranking (`ERR_INFERENCE`). */
export class InferenceError extends SentvecError {
  constructor(message: string) {
    super('ERR_INFERENCE', message);
  }
}

/** An id passed to `Index.add` is already in the index or repeated (`ERR_DUPLICATE_ID`). */
export class DuplicateIdError extends SentvecError {
  constructor(message: string) {
    super('ERR_DUPLICATE_ID', message);
  }
}

/** A saved index is missing, truncated, corrupt or of a newer format (`ERR_INDEX_FILE`). */
export class IndexFileError extends SentvecError {
  /** The index file. */
  readonly file: string;
  constructor(file: string, message: string) {
    super('ERR_INDEX_FILE', message);
    this.file = file;
  }
}

/** A file could not be written (`ERR_IO`). */
export class IoError extends SentvecError {
  constructor(message: string) {
    super('ERR_IO', message);
  }
}

/** A requested execution provider cannot be used (`ERR_PROVIDER`); the message says why and how to get it. */
export class ProviderError extends SentvecError {
  /** The provider: cuda, tensorrt, coreml, nnapi. */
  readonly provider: string;
  constructor(provider: string, message: string) {
    super('ERR_PROVIDER', message);
    this.provider = provider;
  }
}

/** The native addon could not be loaded (`ERR_NATIVE_LOAD`). */
export class NativeLoadError extends SentvecError {
  constructor(message: string) {
    super('ERR_NATIVE_LOAD', message);
  }
}

/** Memory ran out, or a result is larger than this Node.js can hold (`ERR_OUT_OF_MEMORY`); ask for less per call. */
export class OutOfMemoryError extends SentvecError {
  constructor(message: string) {
    super('ERR_OUT_OF_MEMORY', message);
  }
}

/** A bug in sentvec (`ERR_INTERNAL`): please report it with the message. */
export class InternalError extends SentvecError {
  constructor(message: string) {
    super('ERR_INTERNAL', message);
  }
}

/** A PostgreSQL error or refusal the store cannot turn into a more precise class (`ERR_STORE`). */
export class StoreError extends SentvecError {
  /** The SQLSTATE PostgreSQL reported, when it reported one. */
  readonly sqlState: string | undefined;
  constructor(message: string, options: { sqlState?: string; cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'ERR_STORE', message);
    this.sqlState = options.sqlState;
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, configurable: true, writable: true });
  }
}

/**
 * The connection to PostgreSQL failed or was lost (`ERR_STORE_CONNECTION`). Reads were retried
 * first. `written` says what became of a write: false (rolled back: nothing of it was stored) or
 * undefined (the connection dropped while COMMIT was under way: it may or may not have been).
 */
export class StoreConnectionError extends StoreError {
  /** `false`: the write was rolled back; `undefined`: the connection dropped during COMMIT. */
  readonly written: false | undefined;
  constructor(message: string, written: false | undefined, options: { sqlState?: string; cause?: unknown } = {}) {
    super(message, { ...options, code: 'ERR_STORE_CONNECTION' });
    this.written = written;
  }
}

/** The server has no pgvector, or this role may not create it (`ERR_PGVECTOR_MISSING`). */
export class PgvectorMissingError extends StoreError {
  constructor(message: string, options: { sqlState?: string; cause?: unknown } = {}) {
    super(message, { ...options, code: 'ERR_PGVECTOR_MISSING' });
  }
}

/** A PostgresStore's table holds vectors of another dimension or metric than asked (`ERR_DIMENSION_MISMATCH`). */
export class DimensionMismatchError extends SentvecError {
  constructor(message: string) {
    super('ERR_DIMENSION_MISMATCH', message);
  }
}

/**
 * A field of a request body that fails its check (`ERR_INVALID_ARG`): the server answers 400 with
 * `param` (and `code`, when set), OpenAI's shape.
 */
export class FieldError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly param: string | null,
    readonly fieldCode: string | null = null,
  ) {
    super(message);
  }
}

/** An optional dependency is not installed (`ERR_MISSING_DEPENDENCY`); the message gives the npm command. */
export class MissingDependencyError extends SentvecError {
  constructor(message: string) {
    super('ERR_MISSING_DEPENDENCY', message);
  }
}

/**
 * The class of each code the native addon raises (native/core/error.h), built from its message and
 * subject (the file or provider the error is about). The addon calls createError through
 * `setErrorFactory`, so native code throws these classes directly.
 */
const NATIVE_ERRORS: Record<string, (message: string, subject: string) => SentvecError> = {
  ERR_INVALID_ARG: (m) => new InvalidArgumentError(m),
  ERR_MODEL_FILE: (m, subject) => new ModelFileError(subject, m),
  ERR_INPUT_TOO_LONG: (m) => new InputTooLongError(m),
  ERR_INFERENCE: (m) => new InferenceError(m),
  ERR_PROVIDER: (m, subject) => new ProviderError(subject, m),
  ERR_DUPLICATE_ID: (m) => new DuplicateIdError(m),
  ERR_INDEX_FILE: (m, subject) => new IndexFileError(subject, m),
  ERR_IO: (m) => new IoError(m),
  ERR_DISPOSED: (m) => new DisposedError(m),
  ERR_OUT_OF_MEMORY: (m) => new OutOfMemoryError(m),
  ERR_INTERNAL: (m) => new InternalError(m),
};

/** The codes that native code may raise: test/errors.test.mjs checks them against the addon's `errorCodes`. */
export const NATIVE_ERROR_CODES = Object.keys(NATIVE_ERRORS);

/** The error factory handed to the addon. */
export function createError(code: string, message: string, subject: string): SentvecError {
  const make = NATIVE_ERRORS[code];
  return make ? make(message, subject) : new InternalError(`${message} (unknown native error code ${code})`);
}
