#!/usr/bin/env bash
# Fuzzes the native parsers with libFuzzer under AddressSanitizer + UBSan: both tokenizers (any
# bytes as text), the SentencePiece model loader, the WordPiece vocabulary and options, the
# index file loader and the UTF-16 texts the binding hands the core (fuzz/*.cc).
#   bash scripts/fuzz.sh [seconds per target, default 60] [target …]
# Each target first replays fuzz/regressions/<target>/ (every crash ever found), then fuzzes for
# the given time from fuzz/corpus/<target>/ plus seeds generated here (the test models'
# SentencePiece model and WordPiece vocabulary, saved indexes of every precision). A crash is
# copied into fuzz/regressions/<target>/ (commit it) and the script exits 1. Builds go to build-fuzz/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tokenizer wordpiece wordpiece_vocab sentencepiece_model index_file texts)
out=build-fuzz
log() { printf '[sentvec fuzz] %s\n' "$*" >&2; }

# clang alone (without recommends) lacks the sanitizer and libFuzzer runtimes: libclang-rt-dev.
probe='extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }'
if ! command -v clang++ >/dev/null || ! clang++ -fsanitize=address,undefined,fuzzer -x c++ - -o /dev/null <<<"$probe" 2>/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing clang and its runtimes (libFuzzer, sanitizers)"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-dev >/dev/null
fi
[ -f deps/sentencepiece/.stamp-0.1.97 ] || bash install/deps.sh
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# SentencePiece instrumented too, so that the fuzzer sees (and checks) the protobuf parsing.
spm=$out/sentencepiece
if [ ! -f "$spm/lib/libsentencepiece.a" ]; then
  log "building SentencePiece with clang, ASan, UBSan and fuzzer coverage"
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S deps/sentencepiece/src -B "$spm/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    "-DCMAKE_C_FLAGS=$sanitize -fsanitize=fuzzer-no-link" "-DCMAKE_CXX_FLAGS=$sanitize -fsanitize=fuzzer-no-link" \
    -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF -Wno-dev >/dev/null
  cmake --build "$spm/build" --target sentencepiece-static -j "$(nproc)" >/dev/null
  mkdir -p "$spm/lib" && cp "$(find "$spm/build" -name libsentencepiece.a | head -n1)" "$spm/lib/"
fi

includes=(-Ideps/sentencepiece/src/src -Ideps/sentencepiece/src/src/builtin_pb -Ideps/sentencepiece/src
  -Ideps/sentencepiece/src/third_party/protobuf-lite -Ideps/utf8proc -Ideps/xxhash -Inode_modules/simsimd/include)
# clang 14 lacks the intrinsics of SimSIMD's newest x86 kernels (AVX-512 FP16/BF16): leave them out.
simsimd=(-DSIMSIMD_TARGET_SAPPHIRE=0 -DSIMSIMD_TARGET_GENOA=0 -DSIMSIMD_TARGET_TURIN=0 -DSIMSIMD_TARGET_SIERRA=0)
defines=(-DSENTVEC_FUZZING -D_USE_INTERNAL_STRING_VIEW -DHAVE_PTHREAD=1 -DUTF8PROC_STATIC "${simsimd[@]}")
objects=$out/obj
mkdir -p "$objects"
# The core's parsers and what they call; the ONNX Runtime session is not fuzzed here (its parser is ONNX Runtime's).
core=(aligned_text texts tokenizer precompiled_charsmap sentencepiece_tokenizer wordpiece_tokenizer wordpiece_trie index index_file atomic_file kernels vector_quantization pooling system)
newest_header=$(ls -t native/core/*.h | head -1)
objs=("$objects/utf8proc.o" "$objects/simsimd.o")
for name in "${core[@]}"; do
  src=native/core/$name.cc
  obj=$objects/$name.cc.o
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
    clang++ -std=c++17 -O1 -g $sanitize -fsanitize=fuzzer-no-link "${includes[@]}" "${defines[@]}" -c "$src" -o "$obj"
  fi
done
# utf8proc's sizing pass computes `NULL + 0` (defined in C++20, flagged by UBSan in C): not a bug.
[ -f "$objects/utf8proc.o" ] || clang -O1 -g $sanitize -fno-sanitize=pointer-overflow -fsanitize=fuzzer-no-link -DUTF8PROC_STATIC -c deps/utf8proc/utf8proc.c -o "$objects/utf8proc.o"
[ -f "$objects/simsimd.o" ] || clang -O1 -g $sanitize "${simsimd[@]}" -Inode_modules/simsimd/include -c node_modules/simsimd/c/lib.c -o "$objects/simsimd.o"

# Seeds made here: the test model's SentencePiece model and small saved indexes.
seeds=$out/seeds
model=$(node --input-type=module -e "import('./scripts/model/generate.mjs').then((m) => console.log(m.ensureModel('tiny')))")
wordpiece=$(node --input-type=module -e "import('./scripts/model/generate.mjs').then((m) => console.log(m.ensureModel('tiny-wordpiece-uncased', { architecture: 'bert', tokenizer: 'wordpiece', cased: false, vocabSize: 6000, maxPositions: 512, maxSeqLength: 128 })))")
mkdir -p "$seeds/sentencepiece_model" "$seeds/index_file" "$seeds/tokenizer" "$seeds/wordpiece" "$seeds/wordpiece_vocab" "$seeds/texts"
cp "$model/sentencepiece.bpe.model" "$seeds/sentencepiece_model/tiny.model"
cp fuzz/corpus/tokenizer/* "$seeds/wordpiece/" 2>/dev/null || true
# wordpiece_vocab: 4 bytes of options (uncased BertNormalizer, default roles, the first 5 lines as
# added tokens, 100 characters a word), then the vocabulary, whole and its first 300 lines.
{ printf '\x0f\x00\x1f\x64'; cat "$wordpiece/vocab.txt"; } >"$seeds/wordpiece_vocab/uncased"
{ printf '\x2a\x00\x00\x08'; head -n 300 "$wordpiece/vocab.txt"; } >"$seeds/wordpiece_vocab/cased-300"
node -e "
const { Index } = require('.');
(async () => {
  for (const [metric, precision, rescore] of [['cosine', 'float32', true], ['dot', 'int8', true], ['cosine', 'int8', false], ['cosine', 'binary', true], ['dot', 'binary', false]]) {
    const index = new Index({ dimension: 8, metric, precision, rescore });
    await index.add(Float32Array.from({ length: 8 * 5 }, (_, i) => Math.sin(i)));
    await index.save('$seeds/index_file/' + metric + '-' + precision + '-' + rescore + '.svi');
  }
})();"

status=0
for target in "${targets[@]}"; do
  bin=$out/${target}_fuzzer
  clang++ -std=c++17 -O1 -g $sanitize -fsanitize=fuzzer "${includes[@]}" "${defines[@]}" "fuzz/${target}_fuzzer.cc" \
    "${objs[@]}" "$spm/lib/libsentencepiece.a" -lpthread -o "$bin"
  export SENTVEC_FUZZ_SPM="$PWD/$seeds/sentencepiece_model/tiny.model" SENTVEC_FUZZ_WORDPIECE="$wordpiece/vocab.txt"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  regressions=(fuzz/regressions/$target/*)
  if [ -e "${regressions[0]}" ]; then
    log "$target: replaying ${#regressions[@]} regression input(s)"
    "$bin" -runs=1 "${regressions[@]}" >"$out/$target.replay.log" 2>&1 || { tail -n 40 "$out/$target.replay.log" >&2; status=1; continue; }
  fi
  work=$out/corpus/$target crashes=$out/crashes/$target
  mkdir -p "$work" "$crashes"
  log "$target: fuzzing for ${seconds}s"
  if "$bin" "$work" "fuzz/corpus/$target" "$seeds/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" >"$out/$target.log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$out/$target.log")
    cov=$(grep -ao 'cov: [0-9]*' "$out/$target.log" | tail -n1)
    log "$target: ${runs:-?} executions, $cov, no crash"
  else
    tail -n 60 "$out/$target.log" >&2
    mkdir -p "fuzz/regressions/$target"
    for f in "$crashes"/*; do [ -f "$f" ] && cp "$f" "fuzz/regressions/$target/" && log "kept $f in fuzz/regressions/$target/"; done
    status=1
  fi
done
exit $status
