// Text on its way through a tokenizer's normalization that remembers, when tracked, where each of
// its bytes came from in the original input: how tokenizers give each piece a character range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sentvec {

struct AlignedText {
  std::string text;
  std::vector<uint32_t> begin, end;  // per byte of text: [begin, end) bytes of the input
  bool track = false;

  void Append(std::string_view bytes, uint32_t from, uint32_t to) {
    text.append(bytes);
    if (track) {
      begin.insert(begin.end(), bytes.size(), from);
      end.insert(end.end(), bytes.size(), to);
    }
  }
  void AppendCodepoint(int32_t cp, uint32_t from, uint32_t to);
  // Where byte i of `text` came from (0 when not tracked).
  uint32_t Begin(size_t i) const { return track ? begin[i] : 0; }
  uint32_t End(size_t i) const { return track ? end[i] : 0; }
};

// A code point and where its bytes are.
struct CodePoint {
  int32_t cp;
  uint32_t at;
  uint32_t length;
};

// `text` as it is, each byte coming from itself (tracked) or not tracked.
AlignedText Unchanged(std::string_view text, bool track);

// Python's str.lower(), which sentence-transformers applies before the tokenizer when
// sentence_bert_config.json says do_lower_case: simple case mapping plus the two rules that matter
// in practice (İ → i̇, final sigma).
AlignedText PythonLower(std::string_view text, bool track);

// Decodes UTF-8 into code points with their positions; throws Error(InvalidArgument) on invalid
// UTF-8 (the binding only passes well-formed text, so that means a caller bypassed it).
std::vector<CodePoint> DecodeAt(std::string_view text);

}  // namespace sentvec
