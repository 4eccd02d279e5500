// `sentvec download <repo>`: fills the model cache from the hub.
import type { Command } from 'commander';
import { resolveModel } from '../model-source';

export function addDownload(cmd: Command): void {
  cmd
    .command('download <repo>')
    .description('download a model from the Hugging Face hub (or $HF_ENDPOINT) into the cache')
    .option('--revision <rev>', 'hub revision', 'main')
    .option('--onnx-file <path>', 'ONNX file to fetch (default onnx/model.onnx), e.g. onnx/model_fp16.onnx')
    .option('-q, --quiet', 'no progress bar')
    .action(async (repo: string, options: { revision: string; onnxFile?: string; quiet?: boolean }) => {
      const { dir } = await resolveModel({ ...options, model: repo });
      process.stdout.write(`${dir}\n`);
    });
}
