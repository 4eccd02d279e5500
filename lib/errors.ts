/** Every error sentvec throws is a SentvecError with a stable `code`. */
export class SentvecError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument has the wrong type or value (`ERR_INVALID_ARG`). */
export class InvalidArgumentError extends SentvecError {
  constructor(message: string) {
    super('ERR_INVALID_ARG', message);
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
  constructor(message: string) {
    super('ERR_INPUT_TOO_LONG', message);
  }
}

/** A model or index was used after `dispose()` (`ERR_DISPOSED`). */
export class DisposedError extends SentvecError {
  constructor(message = 'the model was disposed; load it again with Model.load()') {
    super('ERR_DISPOSED', message);
  }
}

/** ONNX Runtime failed while running the model (`ERR_INFERENCE`). */
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

/** Turns an error from the native addon into the matching typed error. */
export function fromNative(err: unknown): SentvecError {
  if (err instanceof SentvecError) return err;
  const e = err as { code?: string; message?: string; file?: string };
  const message = e?.message ?? String(err);
  switch (e?.code) {
    case 'ERR_INVALID_ARG':
      return new InvalidArgumentError(message);
    case 'ERR_MODEL_FILE':
      return new ModelFileError(e.file ?? '', message);
    case 'ERR_INPUT_TOO_LONG':
      return new InputTooLongError(message);
    case 'ERR_DISPOSED':
      return new DisposedError(message);
    case 'ERR_INFERENCE':
      return new InferenceError(message);
    case 'ERR_DUPLICATE_ID':
      return new DuplicateIdError(message);
    case 'ERR_INDEX_FILE':
      return new IndexFileError(e.file ?? '', message);
    case 'ERR_IO':
      return new IoError(message);
    case 'ERR_PROVIDER':
      return new ProviderError(e.file ?? '', message);
    default:
      return new SentvecError(e?.code ?? 'ERR_INTERNAL', message);
  }
}
