// PostgresStore and its option types: the folder's public face (the package entry re-exports it).
export { PostgresStore } from './store';
export type { PgClient, PgPool, QueryResult } from './drivers';
export type { HnswOptions, PostgresStoreOptions, StoreAddOptions, StoreSearchOptions, StoreSearchResult } from './options';
