// libFuzzer target: any bytes as text through the tokenizer (normalization, special-token split,
// Viterbi, truncation), with and without lower-casing, at a length limit taken from the input;
// with spans, the same ids and, per id, an ordered range inside the input; read in one window
// or cut at every cut point, the same encoding; and the same bytes split into a pair (EncodePair).
// The SentencePiece model comes from SENTVEC_FUZZ_SPM (scripts/fuzz.sh sets it).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "../native/core/error.h"
#include "../native/core/sentencepiece_tokenizer.h"
#include "encoding_checks.h"

namespace {
std::unique_ptr<sentvec::SentencePieceTokenizer> plain, lower, plainCut, lowerCut;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("SENTVEC_FUZZ_SPM");
  if (!path) std::abort();
  plain = sentvec::SentencePieceTokenizer::Load(path, {false});
  lower = sentvec::SentencePieceTokenizer::Load(path, {true});
  // One window for the whole input (fuzz inputs are at most 64 KiB), and 1-byte windows.
  plain->SetWindowBytes(size_t{1} << 20);
  lower->SetWindowBytes(size_t{1} << 20);
  plainCut = sentvec::SentencePieceTokenizer::Load(path, {false});
  lowerCut = sentvec::SentencePieceTokenizer::Load(path, {true});
  plainCut->SetWindowBytes(1);
  lowerCut->SetWindowBytes(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: the length limit (2 … 257 tokens) and which tokenizer.
  const size_t maxLength = 2 + data[0];
  const auto& tok = (data[0] & 1) ? *lower : *plain;
  const auto& cut = (data[0] & 1) ? *lowerCut : *plainCut;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    CheckEncoding(tok, text, maxLength);
    CheckWindows(tok, cut, text, maxLength);
    // The same bytes as a pair, cut where the second byte of the input says.
    CheckPair(tok, cut, text, size > 1 ? text.size() * data[1] / 255 : 0, maxLength);
  } catch (const sentvec::Error&) {
    // A typed error (e.g. invalid UTF-8) is an answer, not a bug.
  }
  return 0;
}
