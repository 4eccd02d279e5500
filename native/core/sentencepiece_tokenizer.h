// XLM-RoBERTa tokenization over a SentencePiece unigram model, reproducing Hugging Face's Rust
// tokenizer (tokenizer.json of an XLM-R model, as sentence-transformers runs it):
//   special-token split → Precompiled normalizer (the model's charsmap, grapheme cluster by
//   cluster: precompiled_charsmap.h) → collapse runs of spaces → Metaspace ("▁", prepended) →
//   unigram Viterbi with HF's lattice rules → fuse unknowns → <s> … </s> with truncation that
//   keeps both. Optionally each piece's range in the input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"
#include "precompiled_charsmap.h"
#include "tokenizer.h"

namespace sentvec {

struct SentencePieceOptions {
  // sentence_bert_config.json's do_lower_case: lower-case the text before tokenizing.
  bool doLowerCase = false;
};

class SentencePieceTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kBosId = 0;
  static constexpr int32_t kPadId = 1;
  static constexpr int32_t kEosId = 2;
  static constexpr int32_t kUnkId = 3;

  // Loads a SentencePiece model file; throws Error(ModelFile) naming `path` when it is unusable.
  static std::unique_ptr<SentencePieceTokenizer> Load(const std::string& path, const SentencePieceOptions& options);
  // The same from the file's bytes; `path` only names it in errors. (The fuzzer's entry point.)
  static std::unique_ptr<SentencePieceTokenizer> FromBytes(const std::string& bytes, const std::string& path,
                                                           const SentencePieceOptions& options);
  ~SentencePieceTokenizer() override;

  // `maxLength` counts <s> and </s> and must be at least 2; longer inputs are cut to fit.
  // `withSpans` fills Encoding::spans (2 per id).
  Encoding Encode(std::string_view utf8, size_t maxLength, bool withSpans = false) const override;
  const std::string& IdToToken(int32_t id) const override;
  PairFormat pairFormat() const override { return {true, false}; }
  // A special token in the text is a word of its own (split out before the Metaspace split); an
  // <unk> is not: unknown characters inside a word fuse into it.
  bool StartsWord(int32_t id) const override { return IsAddedToken(id) || IdToToken(id).rfind("\xE2\x96\x81", 0) == 0; }
  bool IsAddedToken(int32_t id) const override {
    return id == kBosId || id == kPadId || id == kEosId || id == maskId();
  }
  int32_t vocabSize() const override { return static_cast<int32_t>(vocab_.size()); }
  SpecialIds specialIds() const override { return {kBosId, kEosId, kPadId, kUnkId}; }
  std::vector<int32_t> specialTokenIds() const override { return {kBosId, kPadId, kEosId, kUnkId, maskId()}; }
  int32_t maskId() const { return vocabSize() - 1; }

 private:
  SentencePieceTokenizer() = default;
  AlignedText Normalize(const AlignedText& text, size_t start, size_t length) const;
  class Stream;
  // Whether the input may be cut before byte `cut` (see IsCutPoint in the .cc).
  bool IsCutPoint(std::string_view input, size_t cut) const;
  // Tokenizes bytes [pos, cut) of `input` into `stream`; false once the pieces are past `limit`.
  bool EncodeWindow(std::string_view input, size_t pos, size_t cut, size_t limit, Stream* stream,
                    std::vector<int32_t>* pieces, std::vector<uint32_t>* spans) const;

  SentencePieceOptions options_;
  PrecompiledCharsmap charsmap_;
  std::vector<std::string> vocab_;
  std::vector<double> scores_;
  struct Trie;
  std::unique_ptr<Trie> trie_;
  // True when no piece holds "▁" after its first character: then words are segmented one at a
  // time, as Hugging Face's Metaspace pre-tokenizer splits them.
  bool wordsIndependent_ = true;
  size_t longestPiece_ = 4;  // bytes of the longest vocabulary entry, at least a character's 4
};

}  // namespace sentvec
