// libFuzzer target: any bytes as text through the WordPiece tokenizer (BertNormalizer, special
// tokens, BertPreTokenizer, greedy WordPiece, truncation), uncased, cased and with Python's
// lower-casing first, at a length limit taken from the input; with spans, the same ids and, per
// id, an ordered range inside the input; read in one window or cut at every cut point, the same
// encoding; and the same bytes split into a pair (EncodePair). The vocabulary comes from SENTVEC_FUZZ_WORDPIECE
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
std::unique_ptr<sentvec::WordPieceTokenizer> variants[3], cuts[3];
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("SENTVEC_FUZZ_WORDPIECE");
  if (!path) std::abort();
  std::ifstream in(path);
  sentvec::WordPieceOptions options;
  for (std::string line; std::getline(in, line);) options.vocab.push_back(line);
  options.specialTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = 0; i < 3; ++i) {
    if (i == 1) options.lowercase = options.stripAccents = false;
    if (i == 2) options.doLowerCase = true;
    variants[i] = sentvec::WordPieceTokenizer::Create(options, path);
    cuts[i] = sentvec::WordPieceTokenizer::Create(options, path);
    // One window for the whole input (fuzz inputs are at most 64 KiB), and 1-byte windows.
    variants[i]->SetWindowBytes(size_t{1} << 20);
    cuts[i]->SetWindowBytes(1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t maxLength = 2 + data[0];
  const auto& tok = *variants[data[0] % 3];
  const auto& cut = *cuts[data[0] % 3];
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
