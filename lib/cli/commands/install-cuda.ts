// `sentvec install-cuda --from <folder>`: the opt-in GPU step.
import type { Command } from 'commander';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { platformPackage } from '../../binding';
import { UsageError } from '../usage-error';

// The ONNX Runtime release sentvec is built against, and its CUDA execution provider's files.
const ORT_VERSION = '1.30.0';
const CUDA_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const TENSORRT_LIB = 'libonnxruntime_providers_tensorrt.so';

/**
 * Copies the provider libraries into the folder of the ONNX Runtime library the addon loads (this
 * platform's package, else onnxruntime-node in a source build), where ONNX Runtime looks for
 * them. Nothing is downloaded: the folder is the user's.
 */
function installCuda(from: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UsageError(`ONNX Runtime ships a CUDA provider for linux x64 only; this is ${process.platform} ${process.arch}`);
  }
  const missing = CUDA_LIBS.filter((f) => !existsSync(join(from, f)));
  if (missing.length) {
    throw new UsageError(
      `--from ${from} lacks ${missing.join(', ')}: unzip runtimes/linux-x64/native/*.so of the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${ORT_VERSION} into it`,
    );
  }
  const target = ortDirectory();
  for (const f of [...CUDA_LIBS, TENSORRT_LIB].filter((x) => existsSync(join(from, x)))) {
    const tmp = join(target, `.${f}.${process.pid}`);
    copyFileSync(join(from, f), tmp);
    renameSync(tmp, join(target, f));
  }
  return `copied the provider libraries from ${from} into ${target}; request them with --provider cuda (CUDA 12 and cuDNN 9 must be findable by the dynamic loader)`;
}

function ortDirectory(): string {
  for (const candidate of [`${platformPackage()}/package.json`, 'onnxruntime-node/package.json']) {
    try {
      // From dist/lib/cli/commands: the package root is four folders up.
      const dir = dirname(require.resolve(candidate, { paths: [join(__dirname, '..', '..', '..', '..')] }));
      return candidate.startsWith('onnxruntime-node') ? join(dir, 'bin/napi-v6', process.platform, process.arch) : dir;
    } catch {
      // not installed: the next one
    }
  }
  throw new UsageError(`neither ${platformPackage()} nor onnxruntime-node is installed: reinstall sentvec`);
}

export function addInstallCuda(cmd: Command): void {
  cmd
    .command('install-cuda')
    .description("place ONNX Runtime's CUDA (and TensorRT) provider libraries beside the ONNX Runtime that sentvec uses (linux x64)")
    .requiredOption(
      '--from <folder>',
      `folder holding ${CUDA_LIBS.join(', ')} (and optionally ${TENSORRT_LIB}): runtimes/linux-x64/native/ of the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux ${ORT_VERSION}`,
    )
    .action((options: { from: string }) => {
      process.stdout.write(`${installCuda(options.from)}\n`);
    });
}
