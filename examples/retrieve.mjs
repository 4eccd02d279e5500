// Retrieval with an Index: embed passages once, save the index beside them, and answer queries
// from the saved file in later runs without embedding the passages again.
//
//   node examples/retrieve.mjs [model] [index file]
//
// model: a model folder or a hub id (default: paraphrase-multilingual-mpnet-base-v2).
import { existsSync } from 'node:fs';
import { Index, Model, numberIds } from 'sentvec';

const modelName = process.argv[2] ?? 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';
const indexFile = process.argv[3] ?? 'passages.svi';

const passages = [
  'The night train to the mountains leaves from platform four at ten o’clock.',
  'Le musée des sciences propose des visites guidées gratuites le dimanche.',
  '駅前の新しいパン屋は朝六時から営業しています。',
  'Der neue Radweg verbindet die Altstadt mit dem Universitätsgelände.',
  'The recipe needs two eggs, a cup of flour and a pinch of salt.',
];
const queries = ['When does the train to the mountains leave?', 'パン屋は何時に開きますか？', 'Wie komme ich mit dem Fahrrad zur Uni?'];

const model = await Model.load(modelName);
let index;
if (existsSync(indexFile)) {
  index = await Index.load(indexFile); // a file of another model would have another dimension
  if (index.dimension !== model.dimension) throw new Error(`${indexFile} was made by another model: delete it`);
  console.log(`loaded ${index.size} passages from ${indexFile}`);
} else {
  index = new Index({ dimension: model.dimension }); // cosine similarity, exact float32 search
  await index.add(await model.encode(passages)); // ids 0, 1, 2, … in passage order
  await index.save(indexFile); // written atomically: the old file or the new one, never half
  console.log(`embedded ${index.size} passages into ${indexFile}`);
}

// One search call for all queries: one result per query, best first.
const results = await index.search(await model.encode(queries), { topK: 2 });
results.forEach(({ ids, scores }, q) => {
  console.log(`\n${queries[q]}`);
  numberIds(ids).forEach((id, i) => console.log(`  ${scores[i].toFixed(3)}  ${passages[id]}`));
});
index.dispose();
model.dispose();
