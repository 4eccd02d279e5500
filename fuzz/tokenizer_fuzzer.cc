// libFuzzer target: any bytes as text through the tokenizer (normalization, special-token split,
// Viterbi, truncation), with and without lower-casing, at a length limit taken from the input;
// with offsets, the same ids and, per id, an ordered range inside the input.
// The SentencePiece model comes from SENTVEC_FUZZ_SPM (scripts/fuzz.sh sets it).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "../native/core/error.h"
#include "../native/core/sentencepiece_tokenizer.h"

namespace {
std::unique_ptr<sentvec::SentencePieceTokenizer> plain, lower;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("SENTVEC_FUZZ_SPM");
  if (!path) std::abort();
  plain = sentvec::SentencePieceTokenizer::Load(path, {false});
  lower = sentvec::SentencePieceTokenizer::Load(path, {true});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: the length limit (2 … 257 tokens) and which tokenizer.
  const size_t maxLength = 2 + data[0];
  const auto& tok = (data[0] & 1) ? *lower : *plain;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const auto enc = tok.Encode(text, maxLength);
    if (enc.ids.size() < 2 || enc.ids.size() > maxLength) std::abort();
    if (enc.ids.front() != sentvec::SentencePieceTokenizer::kBosId ||
        enc.ids.back() != sentvec::SentencePieceTokenizer::kEosId)
      std::abort();
    for (int32_t id : enc.ids) {
      if (id < 0 || id >= tok.vocabSize()) std::abort();
    }
    const auto traced = tok.Encode(text, maxLength, true);
    if (traced.ids != enc.ids || traced.truncated != enc.truncated || traced.offsets.size() != 2 * enc.ids.size())
      std::abort();
    for (size_t k = 0; k < enc.ids.size(); ++k) {
      const uint32_t begin = traced.offsets[2 * k], end = traced.offsets[2 * k + 1];
      if (begin > end || end > text.size()) std::abort();
      if (k > 0 && (begin < traced.offsets[2 * k - 2] || end < traced.offsets[2 * k - 1])) std::abort();
    }
  } catch (const sentvec::Error&) {
    // A typed error (e.g. invalid UTF-8) is an answer, not a bug.
  }
  return 0;
}
