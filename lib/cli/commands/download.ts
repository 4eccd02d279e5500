// `sentvec download <repo>`: fills the model cache from the hub.
import type { Command } from 'commander';
import { isRepoId } from '../../hub/download';
import { modelFolder } from '../model-source';
import { UsageError } from '../usage-error';

export function addDownload(cmd: Command): void {
  cmd
    .command('download <repo>')
    .description('download a model from the Hugging Face hub (or $HF_ENDPOINT) into the cache')
    .option('--revision <rev>', 'hub revision: branch, tag or commit (default: main)')
    .option('--onnx-file <path>', 'ONNX file to fetch (default onnx/model.onnx), e.g. onnx/model_fp16.onnx')
    .option('-q, --quiet', 'no progress bar')
    .action(async (repo: string, options: { revision?: string; onnxFile?: string; quiet?: boolean }) => {
      // Always the hub, even where a folder of that name exists.
      if (!repo.startsWith('hf://') && !isRepoId(repo)) throw new UsageError(`${repo} is not a hub repository id (owner/name)`);
      const { dir } = await modelFolder({ ...options, model: repo.startsWith('hf://') ? repo : `hf://${repo}` });
      process.stdout.write(`${dir}\n`);
    });
}
