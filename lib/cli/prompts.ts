// The prompts of a search: one for the questions, one for the text they are answered from.
import type { Model } from '../model/model';
import { UsageError } from './usage-error';
import { DOCUMENT_PROMPT_NAMES, QUERY_PROMPT_NAMES } from '../model/prompt-roles';

export interface PromptFlags {
  queryPromptName?: string;
  documentPromptName?: string;
}

type PromptChoice = { promptName?: string; prompt?: string };

// The prompt options for one side of a search: the --*-prompt-name flag ('none': no prompt, not
// even the model's default), else the first of `conventional` the model defines (sentence-
// transformers' names), else the model's default prompt if it has one.
function promptFor(model: Model, flag: string | undefined, option: string, conventional: readonly string[]): PromptChoice {
  const known = Object.keys(model.prompts);
  if (flag === 'none') return { prompt: '' };
  if (flag !== undefined) {
    if (!known.includes(flag))
      throw new UsageError(`${option} ${flag}: this model's prompts are ${known.length ? known.join(', ') : 'none'} (or pass none)`);
    return { promptName: flag };
  }
  const name = conventional.find((n) => known.includes(n));
  return name ? { promptName: name } : {};
}

export const promptText = (model: Model, p: PromptChoice) => p.prompt ?? model.prompts[p.promptName ?? model.defaultPromptName ?? ''] ?? '';
export const queryPrompt = (model: Model, options: PromptFlags) =>
  promptFor(model, options.queryPromptName, '--query-prompt-name', QUERY_PROMPT_NAMES);
export const documentPrompt = (model: Model, options: PromptFlags) =>
  promptFor(model, options.documentPromptName, '--document-prompt-name', DOCUMENT_PROMPT_NAMES);
