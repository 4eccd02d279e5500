// Execution providers: validation of the `providers` option and what this machine can use.
import { binding } from '../binding';
import { InvalidArgumentError } from '../errors';
import { booleanOption as boolean, describe, integerOption, oneOf } from '../validate';

/** The execution providers sentvec knows, in the order native/core/providers.cc's kProviders lists them. */
export const PROVIDER_NAMES = ['cpu', 'cuda', 'tensorrt', 'coreml', 'nnapi'] as const;
/** The name of an execution provider: one of {@link PROVIDER_NAMES}. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The CUDA execution provider with its options. */
export interface CudaOptions {
  /** The provider. */
  name: 'cuda';
  /** GPU ordinal. Default 0. */ deviceId?: number;
  /** Bytes the CUDA arena may hold. */ gpuMemLimit?: number;
  /**
   * Let float32 matrix products use TF32 tensor cores (Ampere and newer): faster, with about 1e-3
   * relative error. Default false, so that vectors match the CPU's and PyTorch's (whose matmul
   * default is full float32); ONNX Runtime's own default would be true.
   */
  tf32?: boolean;
}
/** The TensorRT execution provider with its options. */
export interface TensorRtOptions {
  /** The provider. */
  name: 'tensorrt';
  /** GPU ordinal. Default 0. */
  deviceId?: number;
  /** Run in fp16. Default false. */ fp16?: boolean;
  /** Cache built engines in this folder. */ engineCachePath?: string;
}
/** The CoreML execution provider (macOS) with its options. */
export interface CoreMlOptions {
  /** The provider. */
  name: 'coreml';
  /** Default 'ALL'. */ computeUnits?: 'ALL' | 'CPUOnly' | 'CPUAndGPU' | 'CPUAndNeuralEngine';
  /** Default 'NeuralNetwork'. */ modelFormat?: 'MLProgram' | 'NeuralNetwork';
}
/** The NNAPI execution provider (Android builds of ONNX Runtime only) with its flags. */
export interface NnapiOptions {
  /** The provider. */
  name: 'nnapi';
  /** NNAPI_FLAG_USE_FP16: allow float16 relaxation. */
  fp16?: boolean;
  /** NNAPI_FLAG_USE_NCHW: use the NCHW layout. */
  nchw?: boolean;
  /** NNAPI_FLAG_CPU_DISABLED: never use NNAPI's CPU device. */
  cpuDisabled?: boolean;
  /** NNAPI_FLAG_CPU_ONLY: only NNAPI's CPU device (for testing). */
  cpuOnly?: boolean;
}
/** A provider by name, or with its options. */
export type Provider =
  | ProviderName
  | {
      /** The provider. */
      name: 'cpu';
    }
  | CudaOptions
  | TensorRtOptions
  | CoreMlOptions
  | NnapiOptions;

/** One entry of {@link availableProviders}. */
export interface ProviderAvailability {
  /** The provider. */
  name: ProviderName;
  /** This ONNX Runtime build lists it. */
  compiled: boolean;
  /** It can be used here, now (its libraries load). */
  usable: boolean;
  /** Why not, and how to get it. */
  reason?: string;
}

/** Checks `providers` and turns each into ONNX Runtime's option strings. */
export function resolveProviders(value: unknown): Array<{ name: string; options: Array<[string, string]> }> {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidArgumentError('Expected at least one provider for providers');
  return list.map((item: unknown, i: number) => {
    const where = `providers[${i}]`;
    const spec = typeof item === 'string' ? { name: item } : item;
    if (spec === null || typeof spec !== 'object')
      throw new InvalidArgumentError(`Expected a provider name or { name, … } for ${where} but received ${describe(item)}`);
    const { name, ...rest } = spec as Record<string, unknown>;
    if (!PROVIDER_NAMES.includes(name as ProviderName))
      throw new InvalidArgumentError(`Expected one of ${PROVIDER_NAMES.join(', ')} for ${where}.name but received ${describe(name)}`);
    const options: Array<[string, string]> = [];
    const known: Record<ProviderName, string[]> = {
      cpu: [],
      cuda: ['deviceId', 'gpuMemLimit', 'tf32'],
      tensorrt: ['deviceId', 'fp16', 'engineCachePath'],
      coreml: ['computeUnits', 'modelFormat'],
      nnapi: ['fp16', 'nchw', 'cpuDisabled', 'cpuOnly'],
    };
    for (const key of Object.keys(rest)) {
      if (!known[name as ProviderName].includes(key)) {
        throw new InvalidArgumentError(
          `Unknown option "${key}" for the ${name} provider (${where})${known[name as ProviderName].length ? `; known: ${known[name as ProviderName].join(', ')}` : ''}`,
        );
      }
    }
    let flags = 0;
    let tf32 = false;
    for (const [key, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      const w = `${where}.${key}`;
      if (key === 'deviceId') options.push(['device_id', String(integerOption(v, 'deviceId', w))]);
      else if (key === 'gpuMemLimit') options.push(['gpu_mem_limit', String(integerOption(v, 'gpuMemLimit', w))]);
      else if (key === 'tf32') tf32 = boolean(v, w);
      else if (key === 'fp16' && name === 'tensorrt') options.push(['trt_fp16_enable', boolean(v, w) ? '1' : '0']);
      else if (key === 'engineCachePath') {
        if (typeof v !== 'string' || v === '')
          throw new InvalidArgumentError(`Expected a folder path for ${w} but received ${describe(v)}`);
        options.push(['trt_engine_cache_enable', '1'], ['trt_engine_cache_path', v]);
      } else if (key === 'computeUnits')
        options.push(['MLComputeUnits', oneOf(v, ['ALL', 'CPUOnly', 'CPUAndGPU', 'CPUAndNeuralEngine'], w)]);
      else if (key === 'modelFormat') options.push(['ModelFormat', oneOf(v, ['MLProgram', 'NeuralNetwork'], w)]);
      else if (name === 'nnapi') {
        // NNAPI_FLAG_USE_FP16, _USE_NCHW, _CPU_DISABLED, _CPU_ONLY
        const bit = { fp16: 1, nchw: 2, cpuDisabled: 4, cpuOnly: 8 }[key as 'fp16'];
        if (boolean(v, w)) flags |= bit;
      }
    }
    if (name === 'nnapi') options.push(['flags', String(flags)]);
    if (name === 'cuda') options.push(['use_tf32', tf32 ? '1' : '0']);
    return { name: name as string, options };
  });
}

/** The execution providers sentvec knows, and whether this ONNX Runtime build and machine can use each. */
export async function availableProviders(): Promise<ProviderAvailability[]> {
  return (await binding().probeProviders()) as ProviderAvailability[];
}
