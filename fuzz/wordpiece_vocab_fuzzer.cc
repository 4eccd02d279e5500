// libFuzzer target: any bytes as a WordPiece vocabulary and its options, as the binding passes
// what lib/model-directory.ts read from tokenizer.json or vocab.txt (tokens one per line; the
// role tokens, the continuation prefix, the added tokens and max_input_chars_per_word taken from
// the input too). Create gives a tokenizer or a ModelFile error; a tokenizer then encodes a few
// texts (and the input's own lines) under the encoding rules of encoding_checks.h, read in one
// window or cut at every cut point alike.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../native/core/error.h"
#include "../native/core/wordpiece_tokenizer.h"
#include "encoding_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t flags = data[0], roles = data[1], added = data[2], maxChars = data[3];
  const std::string_view rest(reinterpret_cast<const char*>(data + 4), size - 4);
  std::vector<std::string> lines;
  for (size_t from = 0; from <= rest.size();) {
    const size_t nl = rest.find('\n', from);
    lines.emplace_back(rest.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from));
    if (nl == std::string_view::npos) break;
    from = nl + 1;
  }
  sentvec::WordPieceOptions options;
  options.vocab = lines;
  options.cleanText = flags & 1;
  options.handleChineseChars = flags & 2;
  options.stripAccents = flags & 4;
  options.lowercase = flags & 8;
  options.doLowerCase = flags & 16;
  // Roles: the default names, or lines of the input (which may be anything).
  auto pick = [&](int shift, const char* fallback) {
    const unsigned k = (roles >> shift) & 3;
    return k == 0 || lines.empty() ? std::string(fallback) : lines[k % lines.size()];
  };
  options.unkToken = pick(0, "[UNK]");
  options.startToken = pick(2, "[CLS]");
  options.endToken = pick(4, "[SEP]");
  options.padToken = pick(6, "[PAD]");
  if (flags & 32) options.continuingPrefix = lines.empty() ? "" : lines.back();
  for (size_t i = 0; i < lines.size() && i < 8; ++i) {
    if (added & (1u << i)) options.specialTokens.push_back(lines[i]);
  }
  options.maxInputCharsPerWord = maxChars;
  std::unique_ptr<sentvec::WordPieceTokenizer> tok, cut;
  try {
    tok = sentvec::WordPieceTokenizer::Create(options, "vocab.txt");
    cut = sentvec::WordPieceTokenizer::Create(options, "vocab.txt");
  } catch (const sentvec::Error& e) {
    if (e.code() != sentvec::ErrorCode::ModelFile) std::abort();
    return 0;
  }
  tok->SetWindowBytes(size_t{1} << 20);
  cut->SetWindowBytes(1);
  std::vector<std::string> texts = {"The quick brown fox, 日本語 [MASK] ##s. Ünïcödé", "", "   "};
  std::string joined;
  for (const auto& line : lines) joined += line + (flags & 64 ? " " : "");
  texts.push_back(joined);
  for (const auto& text : texts) {
    for (size_t maxLength : {2, 5, 64}) {
      try {
        CheckEncoding(*tok, text, maxLength);
        CheckWindows(*tok, *cut, text, maxLength);
      } catch (const sentvec::Error&) {
        // Invalid UTF-8 in the input's lines: a typed error is an answer.
      }
    }
  }
  return 0;
}
