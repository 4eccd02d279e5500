// Request bodies → Model calls: the fields of the embedding routes, checked (lib/validate.ts's
// field helpers) and turned into an EncodePlan (lib/encode-plan.ts), which the model carries out.
import { dimensionRange, namedPrompt, planRequest, tokenRow, type LongInputs, type PlanInput } from '../model/encode-plan';
import type { Encoded } from '../model/executor';
import { FieldError } from '../errors';
import type { Model } from '../model/model';
import { fieldInteger, fieldOneOf } from '../validate';
import { HttpError, inputError, invalid } from './errors';

/** The limits on a request's inputs (ServerOptions). */
export interface InputLimits {
  maxInputs: number;
  maxInputChars: number;
}

/** An embedding route's call, its fields checked: what `embed` needs besides the inputs. */
export interface EmbedCall {
  /** The body's field of inputs: 'input', 'inputs' or 'query'. */
  param: string;
  allowTokens: boolean;
  prompt: string;
  /** long_inputs: 'chunk' and its overlap, if asked. */
  chunk: { overlap: number } | undefined;
  /** Truncate over-long inputs (else refuse them); chunking implies it. */
  truncate: boolean;
  dimensions: number;
  normalize: boolean;
}

/** The result of an embedding request, with what its answer reports. */
export interface EmbedResult extends Encoded {
  /** Inputs cut to maxSeqLength (texts and token ids). */
  truncated: number;
  chunked: boolean;
}

/** Every route that takes text checks it the same way, before any of it is tokenized. */
export function checkText(text: string, param: string, i: number, maxInputChars: number): void {
  if (text.length > maxInputChars)
    throw new HttpError(
      413,
      `${param}[${i}] has ${text.length} characters; at most ${maxInputChars} are allowed.`,
      'invalid_request_error',
      `${param}[${i}]`,
      'input_too_large',
    );
  if (!text.isWellFormed() || text.includes('\0'))
    throw invalid(`${param}[${i}] contains a lone surrogate or a NUL character.`, `${param}[${i}]`);
}

function isTokenArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

/** The prompt of a request: `prompt_name` (one of the model's prompts), else `fallback`, else the model's default. */
export function promptField(model: Model, value: unknown, fallback: string | undefined): string {
  const name = value ?? fallback ?? model.defaultPromptName;
  if (name === undefined || name === null) return '';
  const prompt = namedPrompt(model.facts, name);
  if (prompt === undefined) {
    const known = Object.keys(model.prompts);
    throw new FieldError(
      `'prompt_name' must be one of this model's prompts (${known.length ? known.join(', ') : 'it has none'}).`,
      'prompt_name',
    );
  }
  return prompt;
}

/** long_inputs: 'chunk' (with an optional overlap): long texts are embedded in windows (Model.encode's longInputs). */
export function chunkField(model: Model, b: Record<string, unknown>): { overlap: number } | undefined {
  if (b.long_inputs === undefined || b.long_inputs === 'truncate') {
    if (b.overlap !== undefined) throw new FieldError(`'overlap' applies to "long_inputs": "chunk" only.`, 'overlap');
    return undefined;
  }
  fieldOneOf(b.long_inputs, ['truncate', 'chunk'], 'long_inputs');
  if (b.truncate === false) throw new FieldError(`'truncate': false contradicts "long_inputs": "chunk".`, 'truncate');
  return { overlap: fieldInteger(b.overlap ?? 0, 0, Math.floor((model.maxSeqLength - 2) / 2), 'overlap') };
}

/** `dimensions`: 1 to the model's full dimension; absent or null: the model's. */
export function dimensionsField(model: Model, value: unknown): number {
  if (value === undefined || value === null) return model.dimension;
  const [least, most] = dimensionRange(model.facts);
  return fieldInteger(value, least, most, 'dimensions');
}

// The inputs of a request: texts checked, token ids checked and framed (cut when `truncate`).
function inputsField(
  model: Model,
  limits: InputLimits,
  input: unknown,
  { param, allowTokens, truncate }: EmbedCall,
): { inputs: PlanInput[]; truncated: number } {
  let items: unknown[];
  if (typeof input === 'string') items = [input];
  else if (allowTokens && isTokenArray(input)) items = [input];
  else if (Array.isArray(input)) items = input;
  else throw new FieldError(`'${param}' must be a string or an array of ${allowTokens ? 'strings or token arrays' : 'strings'}.`, param);
  if (items.length === 0) throw new FieldError(`'${param}' must not be empty.`, param);
  if (items.length > limits.maxInputs)
    throw new FieldError(
      `'${param}' has ${items.length} inputs; at most ${limits.maxInputs} are allowed per request.`,
      param,
      'too_many_inputs',
    );
  let truncated = 0;
  const inputs = items.map((item, i): PlanInput => {
    if (typeof item === 'string') {
      checkText(item, param, i, limits.maxInputChars);
      return item;
    }
    if (!allowTokens || !isTokenArray(item))
      throw new FieldError(`${param}[${i}] must be a string${allowTokens ? ' or an array of token ids' : ''}.`, `${param}[${i}]`);
    try {
      const row = tokenRow(model.facts, item, i, { frame: true, truncate });
      if (row.truncated) truncated++;
      return row.ids;
    } catch (error) {
      throw inputError(error, param, model.vocabSize, model.maxSeqLength);
    }
  });
  return { inputs, truncated };
}

/** Embeds a request's inputs (`input`, its field `call.param`); `onTruncated` counts those cut to maxSeqLength. */
export async function embed(
  model: Model,
  limits: InputLimits,
  input: unknown,
  call: EmbedCall,
  onTruncated: (count: number) => void,
): Promise<EmbedResult> {
  const { prompt, chunk, dimensions, normalize } = call;
  const { inputs, truncated } = inputsField(model, limits, input, { ...call, truncate: chunk !== undefined || call.truncate });
  const longInputs: LongInputs = chunk ? 'chunk' : call.truncate ? 'truncate' : 'error';
  let result: Encoded;
  try {
    result = await model.run(planRequest(model.facts, { inputs, prompt, longInputs, overlap: chunk?.overlap, dimensions, normalize }));
  } catch (error) {
    throw inputError(error, call.param, model.vocabSize, model.maxSeqLength);
  }
  const count = truncated + result.embeddings.truncatedCount;
  onTruncated(count);
  return { ...result, truncated: count, chunked: chunk !== undefined };
}
