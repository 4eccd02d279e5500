// A server that speaks OpenAI's embeddings API, queried with the official `openai` client:
// createServer from 'sentvec/server' inside this process, then the client, then a clean close.
// (`sentvec serve --model <model>` runs the same server as a command.)
//
//   npm install openai
//   node examples/openai-server.mjs [model]
//
// model: a model folder or a hub id (default: paraphrase-multilingual-mpnet-base-v2).
import OpenAI from 'openai';
import { Model } from 'sentvec';
import { createServer } from 'sentvec/server';

const modelName = process.argv[2] ?? 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';
const apiKey = 'sk-local-example';

const model = await Model.load(modelName);
const app = await createServer(model, { apiKey });
const address = await app.listen({ host: '127.0.0.1', port: 0 }); // port 0: any free port
console.log(`serving ${modelName} on ${address}`);

try {
  const openai = new OpenAI({ baseURL: `${address}/v1`, apiKey });
  const texts = ['The train leaves at seven.', '電車は七時に出発します。', 'Il pleut à Lyon.'];
  // The client asks for base64 by default and decodes it: the vectors arrive as float arrays.
  const { data, usage } = await openai.embeddings.create({ model: 'sentvec', input: texts });
  console.log(`${data.length} vectors of ${data[0].embedding.length} values, ${usage.total_tokens} tokens`);

  const dot = (a, b) => a.reduce((sum, v, i) => sum + v * b[i], 0); // vectors are unit length
  console.log(`similarity of the English and the Japanese sentence: ${dot(data[0].embedding, data[1].embedding).toFixed(3)}`);

  // Matryoshka: the first 16 values, renormalized, where the model allows it.
  const short = await openai.embeddings.create({ model: 'sentvec', input: 'Hello', dimensions: 16 });
  console.log(`with dimensions: 16 → ${short.data[0].embedding.length} values`);
} finally {
  await app.close(); // finishes requests in flight, then closes
  model.dispose();
}
