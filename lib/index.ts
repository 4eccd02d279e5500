export { Model, Tokenized, type EncodeOptions } from './model';
export { Embeddings } from './embeddings';
export type { LoadOptions } from './config';
export type { PoolingMode } from './binding';
export {
  SentvecError, InvalidArgumentError, ModelFileError, InputTooLongError, DisposedError,
  InferenceError, NativeLoadError,
} from './errors';
import { binding } from './binding';

/** Physical cores of this machine: the default of `threads`. */
export function physicalCores(): number {
  return binding().physicalCores;
}
