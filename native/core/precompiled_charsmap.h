// The Precompiled normalizer of an XLM-R tokenizer: the SentencePiece model's compiled
// normalization rules (normalizer_spec.precompiled_charsmap, the charsmap that tokenizer.json's
// "Precompiled" normalizer holds), applied as Hugging Face's Rust tokenizer applies them — what
// Python's sentence-transformers runs. The text is cut into extended grapheme clusters (UAX #29);
// a cluster of fewer than 6 bytes whose first bytes form a rule's key is replaced as a whole by
// that rule's output (the shortest key wins, the rest of the cluster goes with it); any other
// cluster is rewritten character by character. So "👩‍👩‍👧‍👦" stays one cluster and "e\u0301" becomes
// "é", while "ｶﾞ" (6 bytes) becomes "カ\u3099" uncomposed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"

namespace sentvec {

class PrecompiledCharsmap {
 public:
  PrecompiledCharsmap() = default;
  // `blob` as SentencePiece stores it: a little-endian uint32 byte size of the trie, the trie
  // (darts-clone double-array units), then the rules' outputs as NUL-terminated UTF-8. Empty means
  // no rules (text passes unchanged). Throws Error(ModelFile) naming `path` when it is malformed.
  static PrecompiledCharsmap Parse(std::string_view blob, const std::string& path);

  bool empty() const { return units_.empty(); }
  // Appends the normalization of bytes [start, start + length) of `src` to `out`; each output
  // byte comes from the cluster (or character) it replaced.
  void Apply(const AlignedText& src, size_t start, size_t length, AlignedText* out) const;

 private:
  // The output of the rule whose key is the shortest prefix of `chunk`, if any.
  std::optional<std::string_view> Transform(std::string_view chunk) const;

  std::vector<uint32_t> units_;
  std::string outputs_;
};

}  // namespace sentvec
