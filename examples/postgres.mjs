// A PostgresStore: vectors with their texts and metadata in PostgreSQL + pgvector, searched with
// a metadata filter. Needs a PostgreSQL server with pgvector and the optional drivers:
//
//   npm install pg pgvector pg-copy-streams
//   DATABASE_URL=postgres://user@host/db node examples/postgres.mjs [model]
//
// model: a model folder or a hub id (default: paraphrase-multilingual-mpnet-base-v2).
import { Model, PostgresStore } from 'sentvec';

const modelName = process.argv[2] ?? 'sentence-transformers/paraphrase-multilingual-mpnet-base-v2';
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL database with pgvector (postgres://user@host/db).');
  process.exit(2);
}

const docs = [
  { text: 'The night train to the mountains leaves at ten.', lang: 'en', topic: 'travel' },
  { text: '山へ行く夜行列車は十時に出発します。', lang: 'ja', topic: 'travel' },
  { text: 'Le musée ouvre à neuf heures le dimanche.', lang: 'fr', topic: 'culture' },
  { text: 'The recipe needs two eggs and a cup of flour.', lang: 'en', topic: 'food' },
];

const model = await Model.load(modelName);
const store = await PostgresStore.open({
  connection: process.env.DATABASE_URL,
  table: 'sentvec_example',
  dimension: model.dimension, // checked against the table when it exists
});
try {
  // replaceAll swaps the table's contents in one transaction, so running this twice stays tidy.
  await store.replaceAll(await model.encode(docs.map((d) => d.text)), undefined, {
    texts: docs.map((d) => d.text),
    metadata: docs.map(({ lang, topic }) => ({ lang, topic })),
  });
  console.log(`${await store.size()} rows in sentvec_example`);

  const [query] = await model.encode(['When does the train leave?']);
  const all = await store.search(query, { topK: 3, include: ['text'] });
  console.log('\nbest 3:');
  all.texts.forEach((text, i) => console.log(`  ${all.scores[i].toFixed(3)}  ${text}`));

  // Only rows whose metadata contains { topic: 'travel' } (jsonb @>).
  const travel = await store.search(query, { topK: 3, include: ['text', 'metadata'], filter: { metadata: { topic: 'travel' } } });
  console.log('\ntravel only:');
  travel.texts.forEach((text, i) => console.log(`  ${travel.scores[i].toFixed(3)}  [${travel.metadata[i].lang}] ${text}`));
} finally {
  await store.close();
  model.dispose();
}
