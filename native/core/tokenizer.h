// What the model needs of a tokenizer: text → ids framed by the model's start and end tokens,
// with truncation that keeps both, and optionally where each id came from in the text. Two kinds
// implement it: SentencePieceTokenizer (XLM-R's unigram, sentencepiece_tokenizer.h) and
// WordPieceTokenizer (BERT's, wordpiece_tokenizer.h); the rest of the pipeline does not know which
// it has. Implementations are immutable after loading, so Encode may run on many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sentvec {

struct Encoding {
  std::vector<int32_t> ids;  // start token, pieces…, end token
  bool truncated = false;    // the input had more pieces than the length limit allowed
  // When asked for: per id, the [begin, end) byte range of the input it stands for (the start and
  // end tokens are empty ranges at the start and the end). A piece made by normalization (NFKC:
  // "ﬁ" → "fi") covers the characters it came from; the rare characters that compose across
  // others (Hangul jamo, some Indic vowel signs) widen a range to the run that composes.
  std::vector<uint32_t> spans;
  // A pair (Tokenizer::EncodePair) whose model tells its sequences apart by token type: the
  // position of the second sequence's first id, from which token_type_ids are 1. 0: all are 0.
  uint32_t secondFrom = 0;
};

// How a tokenizer frames a pair, as its Hugging Face post-processor does: XLM-R's
// <s> A </s></s> B </s> (token types all 0: XLMRobertaTokenizer returns none), BERT's
// [CLS] A [SEP] B [SEP] (token type 1 from B on).
struct PairFormat {
  bool doubleSeparator = true;
  bool segmentTypes = false;
  // The special tokens a pair holds: 4 or 3.
  size_t specials() const { return doubleSeparator ? 4 : 3; }
};

// How many pieces of each sequence Hugging Face's longest_first truncation keeps, given their
// lengths and the pieces a pair may hold (its max_length less the pair's special tokens): the
// shorter keeps all it has when the longer can have the rest and at least as many; else both are
// cut to half, the odd piece going to the longer (to the second when they are equal).
std::pair<size_t, size_t> LongestFirst(size_t first, size_t second, size_t budget);

// The ids that frame and pad inputs: <s> </s> <pad> in XLM-R, [CLS] [SEP] [PAD] in BERT.
struct SpecialIds {
  int32_t start = 0;
  int32_t end = 2;
  int32_t pad = 1;
  int32_t unknown = 3;
};

// The encoding of `pieces` (with, when `withSpans`, their [begin, end) byte ranges in an input
// of `inputBytes`): at most `limit` of them, framed by the start and end ids.
Encoding Frame(std::vector<int32_t> pieces, std::vector<uint32_t> ranges, size_t limit, const SpecialIds& ids,
               bool withSpans, size_t inputBytes);

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // `maxLength` counts the start and end tokens and must be at least 2; longer inputs are cut to
  // fit. `withSpans` fills Encoding::spans (2 per id).
  virtual Encoding Encode(std::string_view utf8, size_t maxLength, bool withSpans = false) const = 0;
  // The token string of an id (HF's convert_ids_to_tokens); empty for an id out of range.
  virtual const std::string& IdToToken(int32_t id) const = 0;
  virtual int32_t vocabSize() const = 0;
  virtual SpecialIds specialIds() const = 0;
  // Every id that stands for a special token rather than text (the above, <mask> / [MASK], …).
  virtual std::vector<int32_t> specialTokenIds() const = 0;
  virtual PairFormat pairFormat() const = 0;
  // Whether a piece begins a word (a pre-token: "▁…" in XLM-R, not "##…" in BERT; a special token
  // in the text is a word of its own).
  virtual bool StartsWord(int32_t id) const = 0;
  // Whether an id stands for a special token that the text may spell (<s>, </s>, <mask>, [SEP], …),
  // split out before the model runs; not the unknown token, which the model also produces.
  virtual bool IsAddedToken(int32_t id) const = 0;

  // A [query, passage] pair as one row, framed by pairFormat(), at most `maxLength` ids (at least
  // pairFormat().specials()): each sequence is tokenized on its own (window by window, as Encode
  // does, and only up to the end of the word that brings it to maxLength pieces: the length Rust's
  // tokenizer compares) and cut by LongestFirst. `truncated` when either lost pieces.
  Encoding EncodePair(std::string_view first, std::string_view second, size_t maxLength) const;

  // Encode reads its input window by window: a window ends at the first cut point (a place where
  // cutting cannot change any id, see the implementations) at least this many bytes after its
  // start, and tokenization stops at the first window that brings the pieces past the limit. So
  // the working memory is bounded by the window (not the input), and a 100 MB input truncated to
  // 128 tokens reads about one window. Tests and fuzzers set it small to cut at every cut point
  // (before any Encode: Encode may run on several threads).
  void SetWindowBytes(size_t bytes) { windowBytes_ = bytes; }

 protected:
  size_t windowBytes_ = size_t{1} << 16;
};

// Whether an occurrence of one of `specials` in `text` (after Python's str.lower() when
// `lowerCase`, as the tokenizers match them) holds both the character before byte `cut` and the
// one at it: then the input may not be cut there.
bool SpansSpecial(std::string_view text, size_t cut, const std::vector<std::string>& specials, bool lowerCase);

// The start of the character that holds byte `i` of UTF-8 `text` (i itself when it starts one).
inline size_t CharStart(std::string_view text, size_t i) {
  while (i > 0 && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace sentvec
