#include "sentencepiece_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "aligned_text.h"
#include "error.h"
#include "precompiled_charsmap.h"
#include "sentencepiece_model.pb.h"
#include "sentencepiece_processor.h"
#include "third_party/darts_clone/darts.h"
#include "utf8proc.h"

namespace sentvec {

namespace {

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581 "▁"
constexpr const char* kSpecialTokens[] = {"<s>", "<pad>", "</s>", "<unk>"};
constexpr const char* kMaskToken = "<mask>";

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  return 4;
}

// Decodes UTF-8 into code points; the binding only passes well-formed text, so a failure here
// means a caller bypassed it.
std::vector<int32_t> Decode(std::string_view text) {
  std::vector<int32_t> cps;
  cps.reserve(text.size());
  auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    const auto n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) throw Error(ErrorCode::InvalidArgument, "text is not valid UTF-8");
    cps.push_back(cp);
    p += n;
    left -= n;
  }
  return cps;
}

// Characters that a Precompiled charsmap commonly turns into a space (nmt_nfkc's list): no
// window is cut right after one. Only cut points use it; fewer cut points never change an id.
bool MayMapToSpace(int32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x2581 || c == 0x3000 || c == 0xFEFF ||
         c == 0xFFFD;
}
// ECMAScript WhiteSpace + LineTerminator: what String.prototype.trimEnd removes.
bool IsJsWhitespace(int32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
         c == 0xFEFF;
}

std::string ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::ModelFile,
                "cannot read " + path + ": the file is missing or unreadable; " + "expected " + what, path);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

struct SentencePieceTokenizer::Trie {
  Darts::DoubleArray array;
};

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

namespace {
constexpr const char* kExpected = "a SentencePiece unigram model (sentencepiece.bpe.model of an XLM-RoBERTa model)";
}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::Load(const std::string& path,
                                                                     const SentencePieceOptions& options) {
  return FromBytes(ReadFile(path, kExpected), path, options);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::FromBytes(const std::string& bytes,
                                                                          const std::string& path,
                                                                          const SentencePieceOptions& options) {
  if (bytes.empty()) {
    throw Error(ErrorCode::ModelFile, path + " is empty; expected " + kExpected + ". Download it again.", path);
  }
  sentencepiece::SentencePieceProcessor processor;
  sentencepiece::util::Status status;
  try {
    status = processor.LoadFromSerializedProto(bytes);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // SentencePiece's own loader throws on some corrupt models (found by fuzz/, e.g. an empty
    // piece makes its trie builder throw): still a bad model file, not an internal error.
    throw Error(ErrorCode::ModelFile,
                path + " is not a usable SentencePiece model (" + e.what() + "); expected " + kExpected +
                    ". Download it again.",
                path);
  }
  if (!status.ok()) {
    throw Error(ErrorCode::ModelFile,
                path + " is not a SentencePiece model (" + status.ToString() + "); expected " + kExpected +
                    ". The file may be truncated or of another kind: download it again.",
                path);
  }
  const auto& proto = processor.model_proto();
  if (proto.trainer_spec().model_type() != sentencepiece::TrainerSpec::UNIGRAM) {
    throw Error(ErrorCode::ModelFile,
                path +
                    " is a SentencePiece model of a type other than unigram; XLM-RoBERTa "
                    "tokenization needs a unigram model",
                path);
  }
  using Piece = sentencepiece::ModelProto::SentencePiece;
  if (proto.pieces_size() < 4 || proto.pieces(0).type() != Piece::UNKNOWN || proto.pieces(1).type() != Piece::CONTROL ||
      proto.pieces(2).type() != Piece::CONTROL) {
    throw Error(ErrorCode::ModelFile,
                path +
                    " does not have the XLM-RoBERTa layout (<unk>, <s>, </s> as its first "
                    "three pieces)",
                path);
  }

  std::unique_ptr<SentencePieceTokenizer> tok(new SentencePieceTokenizer());
  tok->options_ = options;
  tok->charsmap_ = PrecompiledCharsmap::Parse(proto.normalizer_spec().precompiled_charsmap(), path);
  // HF's XLM-R vocabulary: four specials, the spm pieces after <unk> <s> </s> (id = spm id + 1),
  // then <mask>.
  const int n = proto.pieces_size();
  tok->vocab_.reserve(static_cast<size_t>(n) + 2);
  tok->scores_.reserve(static_cast<size_t>(n) + 2);
  for (const char* s : kSpecialTokens) {
    tok->vocab_.emplace_back(s);
    tok->scores_.push_back(0.0);
  }
  double minScore = 0.0;
  for (int i = 3; i < n; ++i) {
    const auto& piece = proto.pieces(i);
    tok->vocab_.push_back(piece.piece());
    tok->scores_.push_back(static_cast<double>(piece.score()));
    minScore = std::min(minScore, static_cast<double>(piece.score()));
    const auto pos = piece.piece().find(kMetaspace, 1);
    if (pos != std::string::npos) tok->wordsIndependent_ = false;
    tok->longestPiece_ = std::max(tok->longestPiece_, piece.piece().size());
  }
  tok->vocab_.emplace_back(kMaskToken);
  tok->scores_.push_back(0.0);
  tok->scores_[kUnkId] = minScore - 10.0;

  // Every vocabulary entry is matchable, as in HF's Unigram trie; a repeated string keeps its
  // last id, as HF's token-to-id map does. An entry holding a NUL byte is left out: the trie
  // would take the NUL for the end of a key and answer lookups with garbage ids (found by fuzz/),
  // and no text can match it anyway (NUL is refused in texts).
  std::vector<std::pair<std::string_view, int32_t>> entries;
  entries.reserve(tok->vocab_.size());
  for (size_t i = 0; i < tok->vocab_.size(); ++i) {
    const std::string& piece = tok->vocab_[i];
    if (!piece.empty() && piece.find('\0') == std::string::npos) entries.emplace_back(piece, static_cast<int32_t>(i));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const char*> keys;
  std::vector<size_t> lengths;
  std::vector<int> values;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entries[i + 1].first == entries[i].first) continue;
    keys.push_back(entries[i].first.data());
    lengths.push_back(entries[i].first.size());
    values.push_back(entries[i].second);
  }
  tok->trie_ = std::make_unique<Trie>();
  int built = -1;
  try {
    built = tok->trie_->array.build(keys.size(), keys.data(), lengths.data(), values.data());
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
  }
  if (built != 0) throw Error(ErrorCode::ModelFile, path + ": cannot index the vocabulary", path);
  return tok;
}

const std::string& SentencePieceTokenizer::IdToToken(int32_t id) const {
  static const std::string kNone;
  if (id < 0 || id >= vocabSize()) return kNone;
  return vocab_[static_cast<size_t>(id)];
}

AlignedText SentencePieceTokenizer::Normalize(const AlignedText& src, size_t start, size_t length) const {
  // The Precompiled step (the model's charsmap, cluster by cluster, as Rust applies it).
  AlignedText mapped;
  mapped.track = src.track;
  mapped.text.reserve(length);
  charsmap_.Apply(src, start, length, &mapped);
  // Replace(" {2,}", " ").
  AlignedText out;
  out.track = src.track;
  out.text.reserve(mapped.text.size());
  for (size_t i = 0; i < mapped.text.size(); ++i) {
    if (mapped.text[i] == ' ' && !out.text.empty() && out.text.back() == ' ') continue;
    out.Append(std::string_view(mapped.text).substr(i, 1), mapped.Begin(i), mapped.End(i));
  }
  return out;
}

// The pieces of one segment (the Metaspace-processed text between two special tokens), fed window
// by window as it is normalized. Hugging Face runs the unigram Viterbi over each word (from a "▁"
// to the next; over the whole segment when a piece holds "▁" inside). Here it runs in parts, each
// exactly as the whole would run it: a word's end starts a fresh lattice, as Hugging Face does; and
// a position that no vocabulary match crosses, where every path through the lattice passes, ends
// a part whose best path is then final, the next part starting from that position's score, so that
// every sum and every tie is the one the whole lattice computes. Pieces come out as soon as they
// are final: tokenization stops once the limit is passed, and only the text since the last such
// position is kept (for a word that no position splits, the whole word: 16 bytes per byte).
class SentencePieceTokenizer::Stream {
 public:
  Stream(const SentencePieceTokenizer& tok, std::vector<int32_t>* out, std::vector<uint32_t>* spans, size_t limit)
      : tok_(tok), out_(out), spans_(spans), limit_(limit) {
    text_.track = spans != nullptr;
  }

  // Appends normalized text (Normalize's output) to the open segment.
  void Feed(const AlignedText& normalized) {
    if (first_ == kNone) first_ = out_->size();
    for (size_t i = 0; i < normalized.text.size(); ++i) {
      const char ch = normalized.text[i];
      // Normalize collapses runs of spaces within what it is given; this, across windows.
      if (ch == ' ' && lastSpace_) continue;
      // Metaspace: one "▁" prepended unless the text starts with a space (it stands for no
      // character: an empty range where the text starts).
      if (!started_ && ch != ' ') text_.Append(kMetaspace, normalized.Begin(0), normalized.Begin(0));
      started_ = true;
      text_.Append(ch == ' ' ? kMetaspace : std::string_view(&normalized.text[i], 1), normalized.Begin(i),
                   normalized.End(i));
      lastSpace_ = ch == ' ';
    }
  }

  // Segments what the text fed so far decides (all of it when `finished`); false once the pieces
  // are past the limit.
  bool Process(bool finished) {
    const std::string_view text = text_.text;
    while (next_ < text.size()) {
      const size_t b = next_;
      size_t end = finished ? text.size() : kNone;
      if (tok_.wordsIndependent_) {
        if (wordEnd_ == kNone) {
          wordEnd_ = text.find(kMetaspace, searchFrom_);
          // Text is fed in whole characters: no "▁" is cut off at the end.
          if (wordEnd_ == std::string_view::npos) wordEnd_ = kNone, searchFrom_ = text.size();
        }
        if (b == wordEnd_) {
          if (!Emit(b, 0.0)) return false;
          wordEnd_ = kNone;
          searchFrom_ = b + kMetaspace.size();
          continue;
        }
        if (wordEnd_ != kNone) end = wordEnd_;
      }
      if (end == kNone) {
        // Every match from b must be in view before b is expanded.
        if (text.size() - b < tok_.longestPiece_) break;
        end = text.size();
      }
      if (b > base_ && reach_ <= b && b - base_ < best_.size() && best_[b - base_].id >= 0 &&
          !Emit(b, best_[b - base_].score))
        return false;
      Expand(b, end);
    }
    Compact();
    return true;
  }

  // Ends the segment; false once the pieces are past the limit.
  bool Finish() {
    bool within = Process(true);
    if (within && text_.text.size() > base_) within = Emit(text_.text.size(), 0.0);
    const bool track = text_.track;
    text_ = AlignedText();
    text_.track = track;
    best_.clear();
    started_ = lastSpace_ = false;
    base_ = next_ = reach_ = searchFrom_ = 0;
    wordEnd_ = first_ = kNone;
    return within;
  }

 private:
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();
  struct Best {
    double score;
    uint32_t begin;  // relative to base_
    int32_t id;      // -1: not reached yet
  };

  void Expand(size_t b, size_t end) {
    const std::string_view text = text_.text;
    const size_t charLen = std::min(Utf8Length(static_cast<unsigned char>(text[b])), end - b);
    if (best_.empty()) best_.push_back(Best{0.0, 0, 0});
    const size_t at = b - base_;
    if (at < best_.size() && best_[at].id >= 0) {
      const double score = best_[at].score;
      size_t found;
      while ((found = tok_.trie_->array.commonPrefixSearch(text.data() + b, matches_.data(), matches_.size(),
                                                           end - b)) > matches_.size()) {
        matches_.resize(found);
      }
      // HF's lattice: every vocabulary match starting here, plus an <unk> node of one character
      // where no single-character piece exists; ties keep the node that starts earliest.
      auto relax = [&](size_t len, int32_t id, double pieceScore) {
        if (best_.size() <= at + len) best_.resize(at + len + 1, Best{0.0, 0, -1});
        const double candidate = score + pieceScore;
        Best& e = best_[at + len];
        if (e.id < 0 || candidate > e.score) e = Best{candidate, static_cast<uint32_t>(at), id};
        reach_ = std::max(reach_, b + len);
      };
      bool single = false;
      for (size_t i = 0; i < found; ++i) {
        const auto id = static_cast<int32_t>(matches_[i].value);
        relax(matches_[i].length, id, tok_.scores_[static_cast<size_t>(id)]);
        if (matches_[i].length == charLen) single = true;
      }
      if (!single) relax(charLen, kUnkId, tok_.scores_[kUnkId]);
    }
    next_ = b + charLen;
  }

  // Appends the best path's pieces up to `at`, where the next part starts, with `score`.
  bool Emit(size_t at, double score) {
    std::vector<size_t> ends;
    for (size_t e = at - base_; e > 0; e = best_[e].begin) ends.push_back(e);
    for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
      const int32_t id = best_[*it].id;
      const size_t from = base_ + best_[*it].begin, to = base_ + *it;
      // fuse_unk: a run of unknown pieces is one <unk> (within a segment: not with a preceding
      // <unk> special token).
      if (id == kUnkId && out_->size() > first_ && out_->back() == kUnkId) {
        if (spans_) spans_->back() = text_.End(to - 1);
        continue;
      }
      out_->push_back(id);
      if (spans_) spans_->insert(spans_->end(), {text_.Begin(from), text_.End(to - 1)});
    }
    base_ = reach_ = at;
    best_.assign(1, Best{score, 0, 0});
    return out_->size() <= limit_;
  }

  // Drops the text before the current part once it is most of what is held.
  void Compact() {
    if (base_ < 4096 || base_ < text_.text.size() / 2) return;
    text_.text.erase(0, base_);
    if (text_.track) {
      text_.begin.erase(text_.begin.begin(), text_.begin.begin() + static_cast<std::ptrdiff_t>(base_));
      text_.end.erase(text_.end.begin(), text_.end.begin() + static_cast<std::ptrdiff_t>(base_));
    }
    next_ -= base_;
    reach_ -= base_;
    if (wordEnd_ != kNone) wordEnd_ -= base_;
    // No "▁" lies before next_ in the current word (it would have ended it).
    searchFrom_ = std::max(searchFrom_, base_) - base_;
    base_ = 0;
  }

  const SentencePieceTokenizer& tok_;
  std::vector<int32_t>* out_;
  std::vector<uint32_t>* spans_;
  const size_t limit_;
  size_t first_ = kNone;  // out_->size() where the segment's pieces start
  AlignedText text_;      // the segment's Metaspace-processed bytes, from the last compaction on
  bool started_ = false;  // whether the segment has text yet
  bool lastSpace_ = false;
  size_t base_ = 0;         // where the current part of the lattice starts, in text_
  size_t next_ = 0;         // the next position to expand
  size_t reach_ = 0;        // the furthest end of a match from the part's expanded positions
  size_t wordEnd_ = kNone;  // with words apart: where the current word ends, once seen
  size_t searchFrom_ = 0;   // where to look for it
  std::vector<Best> best_;  // by position - base_
  std::vector<Darts::DoubleArray::result_pair_type> matches_ = std::vector<Darts::DoubleArray::result_pair_type>(64);
};

namespace {
const std::vector<std::string> kSpecialStrings = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};

bool IsCjk(int32_t c) {
  // CJK ideographs, hiragana, katakana, Hangul syllables: never the second character of a
  // composition, never cased, nothing a special token holds.
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x3041 && c <= 0x3096) ||
         (c >= 0x30A1 && c <= 0x30FA) || (c >= 0xAC00 && c <= 0xD7A3);
}
}  // namespace

// A cut point is a place where the text before and after it are normalized apart exactly as
// together: the character after it is a space, a printable ASCII character or a CJK one, at a grapheme-cluster boundary
// (the charsmap is applied cluster by cluster, so no replacement reaches across it); the character before it is no
// whitespace (so the whitespace that <mask> strips before it is never split off), no Σ when lower-casing (its final
// form looks at the next character), and no special token is cut.
bool SentencePieceTokenizer::IsCutPoint(std::string_view input, size_t cut) const {
  auto decode = [&](size_t at) {
    utf8proc_int32_t cp = -1;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(input.data() + at),
                     static_cast<utf8proc_ssize_t>(input.size() - at), &cp);
    return cp;
  };
  const int32_t cp = decode(cut), prev = decode(CharStart(input, cut - 1));
  if (cp < 0 || prev < 0) return false;
  if (!(cp == 0x20 || (cp >= 0x21 && cp <= 0x7E) || IsCjk(cp))) return false;
  if (IsJsWhitespace(prev) || MayMapToSpace(prev) || (options_.doLowerCase && prev == 0x3A3)) return false;
  if (!utf8proc_grapheme_break(prev, cp)) return false;
  return !SpansSpecial(input, cut, kSpecialStrings, options_.doLowerCase);
}

Encoding SentencePieceTokenizer::Encode(std::string_view input, size_t maxLength, bool withSpans) const {
  if (maxLength < 2) throw Error(ErrorCode::InvalidArgument, "maxLength must be at least 2");
  const size_t limit = maxLength - 2;
  std::vector<int32_t> pieces;
  // With spans: per piece, its [begin, end) bytes in the input.
  std::vector<uint32_t> ranges;
  std::vector<uint32_t>* spans = withSpans ? &ranges : nullptr;
  Stream stream(*this, &pieces, spans, limit);

  // Window by window, each cut at a cut point: the pieces are those of the whole input, and the
  // windows after the one that passes the limit are never read.
  bool within = true;
  for (size_t pos = 0; pos < input.size() && within;) {
    size_t cut = std::min(input.size(), pos + std::max<size_t>(windowBytes_, 1));
    while (cut < input.size() && ((static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80 || !IsCutPoint(input, cut)))
      ++cut;
    within = EncodeWindow(input, pos, cut, limit, &stream, &pieces, spans);
    pos = cut;
  }
  if (within) stream.Finish();
  return Frame(std::move(pieces), std::move(ranges), limit, specialIds(), withSpans, input.size());
}

bool SentencePieceTokenizer::EncodeWindow(std::string_view input, size_t pos, size_t cut, size_t limit, Stream* stream,
                                          std::vector<int32_t>* pieces, std::vector<uint32_t>* spans) const {
  const std::string_view window = input.substr(pos, cut - pos);
  AlignedText lowered =
      options_.doLowerCase ? PythonLower(window, spans != nullptr) : Unchanged(window, spans != nullptr);
  for (auto& b : lowered.begin) b += static_cast<uint32_t>(pos);
  for (auto& e : lowered.end) e += static_cast<uint32_t>(pos);
  const std::string_view utf8 = lowered.text;

  // Split on the special tokens' text, left to right; <mask> (lstrip) eats whitespace before it.
  struct Section {
    size_t start, length;
    int32_t special;  // -1 for ordinary text
  };
  std::vector<Section> sections;
  size_t start = 0;
  for (size_t i = 0; i < utf8.size();) {
    int32_t special = -1;
    size_t len = 0;
    if (utf8[i] == '<') {
      for (int32_t id = 0; id < 4; ++id) {
        const std::string_view s = kSpecialTokens[id];
        if (utf8.compare(i, s.size(), s) == 0) special = id, len = s.size();
      }
      if (special < 0 && utf8.compare(i, 6, kMaskToken) == 0) special = maskId(), len = 6;
    }
    if (special < 0) {
      ++i;
      continue;
    }
    if (i > start) sections.push_back({start, i - start, -1});
    sections.push_back({i, len, special});
    i += len;
    start = i;
  }
  if (start < utf8.size()) sections.push_back({start, utf8.size() - start, -1});
  for (size_t i = 1; i < sections.size(); ++i) {
    if (sections[i].special != maskId() || sections[i - 1].special >= 0) continue;
    Section& prev = sections[i - 1];
    auto cps = Decode(utf8.substr(prev.start, prev.length));
    while (!cps.empty() && IsJsWhitespace(cps.back())) {
      utf8proc_uint8_t buf[4];
      prev.length -= static_cast<size_t>(utf8proc_encode_char(cps.back(), buf));
      cps.pop_back();
    }
  }

  for (const auto& section : sections) {
    if (section.special >= 0) {
      if (!stream->Finish()) return false;
      pieces->push_back(section.special);
      if (spans)
        spans->insert(spans->end(), {lowered.Begin(section.start), lowered.End(section.start + section.length - 1)});
      if (pieces->size() > limit) return false;
    } else if (section.length > 0) {
      stream->Feed(Normalize(lowered, section.start, section.length));
      if (!stream->Process(false)) return false;
    }
  }
  return true;
}

}  // namespace sentvec
