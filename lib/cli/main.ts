// The `sentvec` command: embed the sentences of a text file, then answer questions in any
// language with the nearest sentences; `sentvec download <repo>` fills the model cache. Each
// command lives in commands/; this file puts them together and turns errors into exit codes.
import { Command, CommanderError } from 'commander';
import { SentvecError } from '../errors';
import { addDownload } from './commands/download';
import { addInstallCuda } from './commands/install-cuda';
import { addQuantize } from './commands/quantize';
import { addRerank } from './commands/rerank';
import { defineSearch } from './commands/search';
import { addServe } from './commands/serve';
import { UsageError } from './usage-error';

export { DEFAULT_MODEL } from './model-source';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json sits outside the TypeScript root
const VERSION: string = (require('../../../package.json') as { version: string }).version;

export function program(): Command {
  const cmd = new Command('sentvec')
    .description('Embed the sentences of a text file, then find the ones closest to questions in any language.')
    .version(VERSION, '-v, --version', 'print the version')
    // Operands are refused by the main command's action as unknown commands (commander would say "too many arguments").
    .allowExcessArguments(true)
    // Options after a subcommand belong to it (serve and download repeat --model, --revision, -q).
    .enablePositionalOptions()
    // Before the subcommands: they inherit both (usage errors exit 2 with a "sentvec:" prefix).
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `sentvec: ${s}` : s) });
  defineSearch(cmd);
  addInstallCuda(cmd);
  addDownload(cmd);
  addQuantize(cmd);
  addServe(cmd);
  addRerank(cmd);
  return cmd;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    const message =
      err instanceof SentvecError || err instanceof UsageError ? (err as Error).message : String((err as Error)?.message ?? err);
    // An error that can be acted on is two lines: what went wrong, then what to do.
    const [what, ...todo] = message.split('\n');
    process.stderr.write(`sentvec: error: ${what}\n${todo.map((line) => `sentvec: hint: ${line}\n`).join('')}`);
    if (verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
