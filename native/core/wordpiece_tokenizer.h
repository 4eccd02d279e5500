// BERT's tokenization, reproducing the Hugging Face fast tokenizer (tokenizer.json with a
// WordPiece model, as Python's BertTokenizerFast runs it):
//   special tokens split out of the raw text → BertNormalizer (drop controls, whitespace → " ",
//   spaces around CJK ideographs, strip accents, lower-case, as configured) → BertPreTokenizer
//   (split on whitespace, each punctuation character a word) → greedy longest-match WordPiece with
//   the continuation prefix, [UNK] for a word with no match or longer than maxInputCharsPerWord →
//   [CLS] … [SEP] with truncation that keeps both.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "aligned_text.h"
#include "tokenizer.h"
#include "wordpiece_trie.h"

namespace sentvec {

struct WordPieceOptions {
  std::vector<std::string> vocab;  // token strings by id
  bool cleanText = true;
  bool handleChineseChars = true;
  bool stripAccents = true;  // tokenizer.json's strip_accents, or lowercase when that is null
  bool lowercase = true;
  std::string unkToken = "[UNK]";
  std::string startToken = "[CLS]";
  std::string endToken = "[SEP]";
  std::string padToken = "[PAD]";
  std::string continuingPrefix = "##";
  size_t maxInputCharsPerWord = 100;
  // Added tokens matched in the raw text before normalization (each must be in the vocabulary).
  std::vector<std::string> specialTokens;
  // sentence_bert_config.json's do_lower_case: Python's str.lower() before everything else.
  bool doLowerCase = false;
};

class WordPieceTokenizer : public Tokenizer {
 public:
  // Throws Error(ModelFile) naming `source` when the vocabulary or options are unusable.
  static std::unique_ptr<WordPieceTokenizer> Create(WordPieceOptions options, const std::string& source);

  Encoding Encode(std::string_view utf8, size_t maxLength, bool withSpans = false) const override;
  const std::string& IdToToken(int32_t id) const override;
  PairFormat pairFormat() const override { return {false, true}; }
  bool StartsWord(int32_t id) const override { return IdToToken(id).rfind(options_.continuingPrefix, 0) != 0; }
  bool IsAddedToken(int32_t id) const override {
    return id != ids_.unknown && std::find(specialIds_.begin(), specialIds_.end(), id) != specialIds_.end();
  }
  int32_t vocabSize() const override { return static_cast<int32_t>(options_.vocab.size()); }
  SpecialIds specialIds() const override { return ids_; }
  std::vector<int32_t> specialTokenIds() const override;

 private:
  WordPieceTokenizer() = default;
  // BertNormalizer over bytes [start, start + length) of `src`, keeping their origins.
  AlignedText Normalize(const AlignedText& src, size_t start, size_t length) const;
  // Appends the pieces of one word (bytes [from, to) of `text`) and their byte spans in `text`.
  void AppendWord(const std::string& text, size_t from, size_t to, std::vector<int32_t>* ids,
                  std::vector<uint32_t>* spans) const;

  // Whether the input may be cut before byte `cut` (see the .cc).
  bool IsCutPoint(std::string_view input, size_t cut) const;
  // Tokenizes bytes [pos, cut) of `input`, appending to `pieces` until they are past `limit`.
  void EncodeWindow(std::string_view input, size_t pos, size_t cut, size_t limit, std::vector<int32_t>* pieces,
                    std::vector<uint32_t>* spans) const;

  WordPieceOptions options_;
  std::unique_ptr<WordPieceTrie> trie_;        // the vocabulary, for the longest match
  int32_t continuing_ = WordPieceTrie::kNone;  // the trie's node of the continuation prefix
  // The trie's Next from the root and from continuing_, per byte.
  std::array<int32_t, 256> fromRoot_{}, fromContinuing_{};
  SpecialIds ids_;
  std::vector<int32_t> specialIds_;  // of options_.specialTokens
  // The first bytes of options_.specialTokens: most positions start none, and need no comparison.
  std::array<bool, 256> specialFirst_{};
};

}  // namespace sentvec
