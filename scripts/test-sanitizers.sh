#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UBSan into build-asan/ and runs the model-level tests
# against it (Node itself is not instrumented, so leak detection is off).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx cmake-js compile -O build-asan --CDSENTVEC_SANITIZE=ON --CDCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export SENTVEC_BINARY="$PWD/build-asan/Release/sentvec.node"
node scripts/run-tests.mjs test/model.test.mjs test/errors.test.mjs test/parity.test.mjs test/event-loop.test.mjs \
  test/lifetime.test.mjs test/search.test.mjs test/search.property.test.mjs test/scheduler.test.mjs test/providers.test.mjs \
  test/teardown.test.mjs test/server.test.mjs test/prompts.test.mjs test/chunking.test.mjs test/models.test.mjs test/quantize.test.mjs
