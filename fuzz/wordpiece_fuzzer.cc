// libFuzzer target: any bytes as text through the WordPiece tokenizer (BertNormalizer, special
// tokens, BertPreTokenizer, greedy WordPiece, truncation), uncased, cased and with Python's
// lower-casing first, at a length limit taken from the input; with offsets, the same ids and, per
// id, an ordered range inside the input. The vocabulary comes from SENTVEC_FUZZ_WORDPIECE
// (a vocab.txt; scripts/fuzz.sh sets it).
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "../native/core/error.h"
#include "../native/core/wordpiece_tokenizer.h"
#include "encoding_checks.h"

namespace {
std::unique_ptr<sentvec::WordPieceTokenizer> variants[3];
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("SENTVEC_FUZZ_WORDPIECE");
  if (!path) std::abort();
  std::ifstream in(path);
  sentvec::WordPieceOptions options;
  for (std::string line; std::getline(in, line);) options.vocab.push_back(line);
  options.specialTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  variants[0] = sentvec::WordPieceTokenizer::Create(options, path);
  options.lowercase = options.stripAccents = false;
  variants[1] = sentvec::WordPieceTokenizer::Create(options, path);
  options.doLowerCase = true;
  variants[2] = sentvec::WordPieceTokenizer::Create(options, path);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t maxLength = 2 + data[0];
  const auto& tok = *variants[data[0] % 3];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    CheckEncoding(tok, text, maxLength);
  } catch (const sentvec::Error&) {
    // A typed error (e.g. invalid UTF-8) is an answer, not a bug.
  }
  return 0;
}
