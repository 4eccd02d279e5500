// Preloaded (node --require) by the CLI's tests: CrossEncoder.load answers a FakeReranker for any
// directory, so that --rerank, `sentvec rerank` and `serve --reranker` run before the real
// cross-encoder exists. Test-only: nothing in lib/ knows of it.
'use strict';
const { CrossEncoder } = require('../../dist/lib/model/cross-encoder.js');
const { FakeReranker } = require('./fake-reranker.cjs');

CrossEncoder.load = async () => new FakeReranker();
