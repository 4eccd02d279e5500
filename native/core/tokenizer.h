// XLM-RoBERTa tokenization over a SentencePiece unigram model, reproducing the Hugging Face fast
// tokenizer (tokenizer.json of an XLM-R model, as run by transformers.js and sentence-transformers):
//   special-token split → Precompiled normalizer (NFKC + control/space rules) → collapse runs of
//   spaces → Metaspace ("▁", prepended) → unigram Viterbi with HF's lattice rules → fuse unknowns
//   → <s> … </s> with truncation that keeps both.
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
  Encoding Encode(std::string_view utf8, size_t maxLength) const;
  // The token string of an id (HF's convert_ids_to_tokens); empty for an id out of range.
  const std::string& IdToToken(int32_t id) const;
  int32_t vocabSize() const { return static_cast<int32_t>(vocab_.size()); }
  int32_t maskId() const { return vocabSize() - 1; }

 private:
  Tokenizer() = default;
  std::string Lowercase(std::string_view text) const;
  std::string Normalize(std::string_view text) const;
  // Appends the pieces of one Metaspace-processed segment; returns false once `limit` is exceeded.
  bool AppendPieces(std::string_view segment, size_t limit, std::vector<int32_t>* out) const;
  void Viterbi(std::string_view word, std::vector<int32_t>* out) const;

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
