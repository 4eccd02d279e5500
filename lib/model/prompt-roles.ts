// The two sides of a search, queries and the documents they are answered from, and the prompt
// names sentence-transformers models give each (e5: query/passage, others query/document). The
// CLI's search commands and the framework adapters pick a model's prompts by these.

/** Prompt names for queries, in order of preference. */
export const QUERY_PROMPT_NAMES: readonly string[] = ['query'];
/** Prompt names for documents, in order of preference. */
export const DOCUMENT_PROMPT_NAMES: readonly string[] = ['document', 'passage', 'corpus'];

/** The first of `names` that `prompts` defines. */
export function conventionalPromptName(prompts: Readonly<Record<string, string>>, names: readonly string[]): string | undefined {
  return names.find((name) => Object.hasOwn(prompts, name));
}
