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

void SentencePieceTokenizer::Viterbi(std::string_view word, size_t at, std::vector<int32_t>* out,
                                     std::vector<uint32_t>* spans) const {
  // HF's lattice: every vocabulary match starting at each character, plus an <unk> node of one
  // character where no single-character piece exists; ties keep the node that starts earliest.
  const size_t n = word.size();
  constexpr double kUnset = -std::numeric_limits<double>::infinity();
  struct Best {
    double score;
    size_t begin;
    int32_t id;
    bool set;
  };
  // Reused across calls on the same thread: a call per word would otherwise allocate twice.
  thread_local std::vector<Best> best;
  thread_local std::vector<Darts::DoubleArray::result_pair_type> matches(64);
  best.assign(n + 1, Best{kUnset, 0, 0, false});
  best[0] = Best{0.0, 0, 0, true};
  for (size_t b = 0; b < n;) {
    const size_t charLen = std::min(Utf8Length(static_cast<unsigned char>(word[b])), n - b);
    if (best[b].set) {
      size_t found;
      while ((found = trie_->array.commonPrefixSearch(word.data() + b, matches.data(), matches.size(), n - b)) >
             matches.size()) {
        matches.resize(found);
      }
      bool single = false;
      auto relax = [&](size_t len, int32_t id, double score) {
        const double candidate = best[b].score + score;
        Best& e = best[b + len];
        if (!e.set || candidate > e.score) e = Best{candidate, b, id, true};
      };
      for (size_t i = 0; i < found; ++i) {
        const auto id = static_cast<int32_t>(matches[i].value);
        relax(matches[i].length, id, scores_[static_cast<size_t>(id)]);
        if (matches[i].length == charLen) single = true;
      }
      if (!single) relax(charLen, kUnkId, scores_[kUnkId]);
    }
    b += charLen;
  }
  std::vector<size_t> ends;
  for (size_t e = n; e > 0; e = best[e].begin) ends.push_back(e);
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    const int32_t id = best[*it].id;
    // fuse_unk: a run of unknown pieces is one <unk>.
    if (id == kUnkId && !out->empty() && out->back() == kUnkId) {
      if (spans) spans->back() = static_cast<uint32_t>(at + *it);
      continue;
    }
    out->push_back(id);
    if (spans) {
      spans->push_back(static_cast<uint32_t>(at + best[*it].begin));
      spans->push_back(static_cast<uint32_t>(at + *it));
    }
  }
}

bool SentencePieceTokenizer::AppendPieces(std::string_view segment, size_t limit, std::vector<int32_t>* out,
                                          std::vector<uint32_t>* spans) const {
  // Unknown pieces fuse within a segment only: a sentinel keeps them from fusing with a
  // preceding <unk> special token.
  const size_t base = out->size();
  out->push_back(-1);
  if (spans) spans->insert(spans->end(), {0, 0});
  bool within = true;
  if (!wordsIndependent_) {
    Viterbi(segment, 0, out, spans);
  } else {
    for (size_t start = 0; start < segment.size() && within;) {
      size_t next = segment.find(kMetaspace, start + kMetaspace.size());
      if (next == std::string_view::npos) next = segment.size();
      Viterbi(segment.substr(start, next - start), start, out, spans);
      within = out->size() - base - 1 <= limit;
      start = next;
    }
  }
  out->erase(out->begin() + static_cast<std::ptrdiff_t>(base));
  if (spans)
    spans->erase(spans->begin() + static_cast<std::ptrdiff_t>(2 * base),
                 spans->begin() + static_cast<std::ptrdiff_t>(2 * base + 2));
  return out->size() - base <= limit;
}

Encoding SentencePieceTokenizer::Encode(std::string_view input, size_t maxLength, bool withOffsets) const {
  if (maxLength < 2) throw Error(ErrorCode::InvalidArgument, "maxLength must be at least 2");
  AlignedText lowered;
  if (options_.doLowerCase) {
    lowered = PythonLower(input, withOffsets);
  } else {
    lowered = Unchanged(input, withOffsets);
  }
  const std::string_view utf8 = lowered.text;
  const size_t limit = maxLength - 2;
  std::vector<int32_t> pieces;
  // With offsets: per piece, its [begin, end) bytes in the input.
  std::vector<uint32_t> ranges;
  std::vector<uint32_t>* spans = withOffsets ? &ranges : nullptr;

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

  bool within = true;
  for (const auto& section : sections) {
    if (section.special >= 0) {
      pieces.push_back(section.special);
      if (spans)
        spans->insert(spans->end(), {lowered.Begin(section.start), lowered.End(section.start + section.length - 1)});
      if (pieces.size() > limit) within = false;
    } else if (section.length > 0) {
      const AlignedText normalized = Normalize(lowered, section.start, section.length);
      if (normalized.text.empty()) continue;
      // Metaspace: spaces become "▁", and one is prepended unless already there (it stands for
      // no character: an empty range where the text starts).
      AlignedText segment;
      segment.track = withOffsets;
      segment.text.reserve(normalized.text.size() + 8);
      if (normalized.text[0] != ' ') segment.Append(kMetaspace, normalized.Begin(0), normalized.Begin(0));
      for (size_t i = 0; i < normalized.text.size(); ++i) {
        const char ch = normalized.text[i];
        segment.Append(ch == ' ' ? kMetaspace : std::string_view(&normalized.text[i], 1), normalized.Begin(i),
                       normalized.End(i));
      }
      const size_t first = pieces.size();
      within =
          AppendPieces(segment.text, limit - std::min(limit, pieces.size()), &pieces, spans) && pieces.size() <= limit;
      if (spans) {
        // Segment bytes → input bytes.
        for (size_t k = first; k < pieces.size(); ++k) {
          const uint32_t b = (*spans)[2 * k], e = (*spans)[2 * k + 1];
          (*spans)[2 * k] = segment.Begin(b);
          (*spans)[2 * k + 1] = segment.End(e - 1);
        }
      }
    }
    if (!within) break;
  }
  return Frame(std::move(pieces), std::move(ranges), limit, specialIds(), withOffsets, input.size());
}

}  // namespace sentvec
