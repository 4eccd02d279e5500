// The demo as a library program: embed the sentences of a text, then answer questions typed on
// the terminal (or piped in) with the closest sentences, in any language the model knows.
//
//   node examples/demo.mjs [model] [text file]
//
// model: a model folder or a hub id (default: paraphrase-multilingual-mpnet-base-v2);
// text file: default examples/input.txt. `npm run demo` does the same with the `sentvec` command.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Index, Model, numberIds } from 'sentvec';

const modelName = process.argv[2] ?? 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';
const textFile = process.argv[3] ?? new URL('input.txt', import.meta.url);

// A sentence ends at a line break, or at . ! ? (and their full-width forms) before a space.
const sentences = (await readFile(textFile, 'utf8'))
  .split(/\n+|(?<=[.!?])\s+|(?<=[。！？])/u)
  .map((s) => s.trim())
  .filter((s) => s.length >= 5);

const model = await Model.load(modelName);
const index = new Index({ dimension: model.dimension });
await index.add(await model.encode(sentences, { promptName: model.prompts.passage ? 'passage' : undefined }));
console.log(`${sentences.length} sentences embedded.`);

const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
terminal.setPrompt('User (press q to exit): ');
terminal.prompt();
try {
  for await (const line of terminal) {
    const question = line.trim();
    if (question === 'q' || question === 'ｑ') break;
    if (question !== '') {
      const [query] = await model.encode([question], { promptName: model.prompts.query ? 'query' : undefined });
      const { ids, scores } = await index.search(query, { topK: 2 });
      numberIds(ids).forEach((id, i) => console.log(`Text: ${sentences[id]} (Similarity:${scores[i].toFixed(3)})`));
    }
    terminal.prompt();
  }
} finally {
  terminal.close();
  index.dispose();
  model.dispose();
}
