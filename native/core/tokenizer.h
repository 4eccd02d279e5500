// XLM-RoBERTa tokenization over a SentencePiece unigram model, reproducing the Hugging Face fast
// tokenizer (tokenizer.json of an XLM-R model, as run by transformers.js and sentence-transformers):
//   special-token split → Precompiled normalizer (NFKC + control/space rules) → collapse runs of
//   spaces → Metaspace ("▁", prepended) → unigram Viterbi with HF's lattice rules → fuse unknowns
//   → <s> … </s> with truncation that keeps both. Optionally each piece's range in the input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentvec {

struct TokenizerOptions {
  // sentence_bert_config.json's do_lower_case: lower-case the text before tokenizing.
  bool doLowerCase = false;
};

struct Encoding {
  std::vector<int32_t> ids;  // <s> pieces… </s>
  bool truncated = false;    // the input had more pieces than the length limit allowed
  // When asked for: per id, the [begin, end) byte range of the input it stands for (<s> and </s>
  // are empty ranges at the start and the end). A piece made by normalization (NFKC: "ﬁ" → "fi")
  // covers the characters it came from; the rare characters that compose across others (Hangul
  // jamo, some Indic vowel signs) widen a range to the run that composes.
  std::vector<uint32_t> offsets;
};

class Tokenizer {
 public:
  static constexpr int32_t kBosId = 0;
  static constexpr int32_t kPadId = 1;
  static constexpr int32_t kEosId = 2;
  static constexpr int32_t kUnkId = 3;

  // Loads a SentencePiece model file; throws Error(ModelFile) naming `path` when it is unusable.
  static std::unique_ptr<Tokenizer> Load(const std::string& path, const TokenizerOptions& options);
  // The same from the file's bytes; `path` only names it in errors. (The fuzzer's entry point.)
  static std::unique_ptr<Tokenizer> FromBytes(const std::string& bytes, const std::string& path,
                                              const TokenizerOptions& options);
  ~Tokenizer();

  // `maxLength` counts <s> and </s> and must be at least 2; longer inputs are cut to fit.
  // `withOffsets` fills Encoding::offsets (2 per id).
  Encoding Encode(std::string_view utf8, size_t maxLength, bool withOffsets = false) const;
  // The token string of an id (HF's convert_ids_to_tokens); empty for an id out of range.
  const std::string& IdToToken(int32_t id) const;
  int32_t vocabSize() const { return static_cast<int32_t>(vocab_.size()); }
  int32_t maskId() const { return vocabSize() - 1; }

 private:
  Tokenizer() = default;
  struct Aligned;
  static void AppendNfkc(const Aligned& src, size_t from, size_t to, Aligned* out);
  Aligned Lowercase(std::string_view text, bool track) const;
  Aligned Normalize(const Aligned& text, size_t start, size_t length) const;
  // Appends the pieces of one Metaspace-processed segment (and, when `spans` is given, each
  // piece's [begin, end) bytes in the segment); returns false once `limit` is exceeded.
  bool AppendPieces(std::string_view segment, size_t limit, std::vector<int32_t>* out,
                    std::vector<uint32_t>* spans) const;
  void Viterbi(std::string_view word, size_t at, std::vector<int32_t>* out, std::vector<uint32_t>* spans) const;

  TokenizerOptions options_;
  std::vector<std::string> vocab_;
  std::vector<double> scores_;
  struct Trie;
  std::unique_ptr<Trie> trie_;
  // True when no piece holds "▁" after its first character: then words can be segmented one at a
  // time (same result as the whole segment) and long inputs stop as soon as the limit is reached.
  bool wordsIndependent_ = true;
};

}  // namespace sentvec
