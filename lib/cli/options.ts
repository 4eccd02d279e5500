// Option parsing shared by the CLI's commands: numeric ranges, providers, the ONNX file choice
// and the options that several commands declare alike.
import { InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import { PROVIDER_NAMES, type ProviderName } from '../model/providers';
import { RANGES, type RangedOption } from '../validate';
import { UsageError } from './usage-error';

export const OPTIMIZED_CACHE_HELP = 'keep the optimized model in the cache folder: later runs start in a fraction of the time';
export const ONNX_FILE_HELP = 'ONNX file inside the model (default onnx/model.onnx, else model.onnx), e.g. onnx/model_fp16.onnx';

const PROVIDERS: readonly string[] = PROVIDER_NAMES;
export const PROVIDER_LIST = `${PROVIDERS.slice(0, -1).join(', ')} or ${PROVIDERS[PROVIDERS.length - 1]}`;

export function checkProvider(provider: string): ProviderName {
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider ${provider}: expected ${PROVIDER_LIST}`);
  return provider as ProviderName;
}

// A numeric flag: an integer within the option's documented range (RANGES).
export function ranged(option: RangedOption) {
  return (value: string) => {
    const [min, max] = RANGES[option];
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CommanderArgumentError(
        `expected an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not ${JSON.stringify(value)}`,
      );
    }
    return n;
  };
}

export function precisionOption(): Option {
  return new Option('--precision <p>', 'float32, or int8: an int8 export of the model (see `sentvec quantize`)').choices([
    'float32',
    'int8',
  ]);
}

// --onnx-file names the file; --precision int8 picks an int8 export.
export function onnxChoice(options: { onnxFile?: string; precision?: 'float32' | 'int8' }): {
  onnxFile?: string;
  precision?: 'float32' | 'int8';
} {
  if (options.onnxFile && options.precision === 'int8')
    throw new UsageError('--onnx-file and --precision int8 both choose the file: pass one');
  if (options.onnxFile) return { onnxFile: options.onnxFile };
  return options.precision ? { precision: options.precision } : {};
}
