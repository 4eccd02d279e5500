#include "wordpiece_tokenizer.h"

#include <algorithm>

#include "error.h"
#include "utf8proc.h"

namespace sentvec {

namespace {

// The character classes of Hugging Face's BertNormalizer and BertPreTokenizer (tokenizers crate).
bool IsWhitespace(int32_t c) {
  // '\t', '\n', '\r' and Unicode White_Space (Rust's char::is_whitespace).
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
// Rust's is_other() (unicode_categories, whose tables come from UnicodeData.txt, where no
// character is Cn): Cc, Cf, Cs and Co, not unassigned code points (Cn) or noncharacters, which
// stay in the text and make their word [UNK].
bool IsControl(int32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
      return true;
    default:
      return false;
  }
}
bool IsChinese(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
bool IsPunctuation(int32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// Rust's char::to_lowercase: the simple mapping, except İ, whose lower case is two characters.
void AppendLowercase(int32_t c, uint32_t from, uint32_t to, AlignedText* out) {
  if (c == 0x130) {
    out->Append("i\xCC\x87", from, to);
  } else {
    out->AppendCodepoint(utf8proc_tolower(c), from, to);
  }
}

// Canonical decomposition of one code point (NFD of it alone).
size_t Decompose(int32_t c, utf8proc_int32_t (&out)[32]) {
  int last = 0;
  const auto n = utf8proc_decompose_char(c, out, 32, UTF8PROC_DECOMPOSE, &last);
  if (n < 0 || n > 32) {
    out[0] = c;
    return 1;
  }
  return static_cast<size_t>(n);
}

// The classes above for each character of the Basic Multilingual Plane (nearly all text), computed
// once by the same functions: a table look-up replaces utf8proc's category look-up per character.
// kCleaned: what cleanText drops or turns into ' '.
enum : uint8_t { kWhitespace = 1, kControl = 2, kPunctuation = 4, kCleaned = 8 };
struct BmpClasses {
  uint8_t of[0x10000];
  BmpClasses() {
    for (int32_t c = 0; c < 0x10000; ++c) {
      const bool cleaned = c == 0 || c == 0xFFFD || IsControl(c) || (IsWhitespace(c) && c != ' ');
      of[c] = static_cast<uint8_t>((IsWhitespace(c) ? kWhitespace : 0) | (IsControl(c) ? kControl : 0) |
                                   (IsPunctuation(c) ? kPunctuation : 0) | (cleaned ? kCleaned : 0));
    }
  }
};
// Built on first use (WordPieceTokenizer::Create), not when the addon loads.
const BmpClasses& Bmp() {
  static const BmpClasses classes;
  return classes;
}
uint8_t ClassesOf(const BmpClasses& bmp, int32_t c) {
  if (c < 0x10000) return bmp.of[c];
  return static_cast<uint8_t>((IsWhitespace(c) ? kWhitespace : 0) | (IsControl(c) ? kControl : 0) |
                              (IsPunctuation(c) ? kPunctuation : 0));
}

// The code point that starts at byte `at` of `text` and its length in bytes; throws as DecodeAt
// does on invalid UTF-8. Well-formed one- to three-byte sequences (nearly all text) are decoded
// here; the rest, errors included, by utf8proc.
inline CodePoint DecodeOne(std::string_view text, size_t at) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + at;
  const size_t left = text.size() - at;
  const uint32_t where = static_cast<uint32_t>(at);
  if (p[0] < 0x80) return {p[0], where, 1};
  if (p[0] >= 0xC2 && p[0] < 0xE0 && left >= 2 && (p[1] & 0xC0) == 0x80)
    return {((p[0] & 0x1F) << 6) | (p[1] & 0x3F), where, 2};
  if (p[0] >= 0xE0 && p[0] < 0xF0 && left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    const int32_t cp = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return {cp, where, 3};
  }
  utf8proc_int32_t cp;
  const auto n = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(left), &cp);
  if (n <= 0) throw Error(ErrorCode::InvalidArgument, "text is not valid UTF-8");
  return {cp, where, static_cast<uint32_t>(n)};
}

}  // namespace

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::Create(WordPieceOptions options, const std::string& source) {
  std::unique_ptr<WordPieceTokenizer> tok(new WordPieceTokenizer());
  if (options.vocab.empty()) throw Error(ErrorCode::ModelFile, source + ": the WordPiece vocabulary is empty", source);
  if (options.vocab.size() > static_cast<size_t>(INT32_MAX))
    throw Error(ErrorCode::ModelFile, source + ": the WordPiece vocabulary is too large", source);
  if (options.maxInputCharsPerWord == 0) options.maxInputCharsPerWord = 100;
  Bmp();
  tok->trie_ = std::make_unique<WordPieceTrie>(options.vocab);
  tok->continuing_ = tok->trie_->Walk(WordPieceTrie::kRoot, options.continuingPrefix);
  for (int byte = 0; byte < 256; ++byte) {
    tok->fromRoot_[byte] = tok->trie_->Next(WordPieceTrie::kRoot, static_cast<uint8_t>(byte));
    tok->fromContinuing_[byte] = tok->continuing_ == WordPieceTrie::kNone
                                     ? WordPieceTrie::kNone
                                     : tok->trie_->Next(tok->continuing_, static_cast<uint8_t>(byte));
  }
  auto id = [&](const std::string& token, const char* role) {
    const int32_t found = tok->trie_->Find(token);
    if (found == WordPieceTrie::kNone) {
      throw Error(ErrorCode::ModelFile,
                  source + ": the " + role + " token \"" + token + "\" is not in the WordPiece vocabulary", source);
    }
    return found;
  };
  tok->ids_ = SpecialIds{id(options.startToken, "start"), id(options.endToken, "end"), id(options.padToken, "padding"),
                         id(options.unkToken, "unknown")};
  for (const auto& s : options.specialTokens) {
    if (s.empty()) throw Error(ErrorCode::ModelFile, source + ": an added token is empty", source);
    tok->specialIds_.push_back(id(s, "added"));
    tok->specialFirst_[static_cast<uint8_t>(s[0])] = true;
  }
  tok->options_ = std::move(options);
  return tok;
}

std::vector<int32_t> WordPieceTokenizer::specialTokenIds() const {
  std::vector<int32_t> out{ids_.start, ids_.end, ids_.pad, ids_.unknown};
  out.insert(out.end(), specialIds_.begin(), specialIds_.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const std::string& WordPieceTokenizer::IdToToken(int32_t id) const {
  static const std::string kEmpty;
  return id >= 0 && id < vocabSize() ? options_.vocab[static_cast<size_t>(id)] : kEmpty;
}

AlignedText WordPieceTokenizer::Normalize(const AlignedText& src, size_t start, size_t length) const {
  const std::string_view text = std::string_view(src.text).substr(start, length);
  const bool track = src.track;
  auto emit = [&](int32_t cp, uint32_t from, uint32_t to, AlignedText* into) {
    if (options_.lowercase) {
      AppendLowercase(cp, from, to, into);
    } else {
      into->AppendCodepoint(cp, from, to);
    }
  };
  AlignedText out;
  out.track = track;
  out.text.reserve(text.size() + 8);
  if (track) {
    out.begin.reserve(text.size() + 8);
    out.end.reserve(text.size() + 8);
  }
  // NFD puts the marks after a character in canonical order (by combining class); only marks with a
  // class move, and never across a character of class 0, so a run of them is ordered when the next
  // character of class 0 (or the end) is reached. Marks that change places share the run's span.
  struct Mark {
    int32_t cp;
    uint32_t from, to;
    uint8_t order;
  };
  std::vector<Mark> marks;
  const BmpClasses& bmp = Bmp();
  auto flushMarks = [&] {
    if (marks.empty()) return;
    auto byOrder = [](const Mark& a, const Mark& b) { return a.order < b.order; };
    if (!std::is_sorted(marks.begin(), marks.end(), byOrder)) {
      std::stable_sort(marks.begin(), marks.end(), byOrder);
      uint32_t from = marks.front().from, to = marks.front().to;
      for (const auto& m : marks) from = std::min(from, m.from), to = std::max(to, m.to);
      for (auto& m : marks) m.from = from, m.to = to;
    }
    for (const auto& m : marks) emit(m.cp, m.from, m.to, &out);
    marks.clear();
  };
  for (size_t at = 0; at < text.size();) {
    // A run of ASCII that the normalizer keeps, but for lower case, is copied in one go.
    const uint8_t cleaned = options_.cleanText ? kCleaned : 0;
    size_t run = at;
    while (run < text.size() && static_cast<uint8_t>(text[run]) < 0x80 &&
           !(bmp.of[static_cast<uint8_t>(text[run])] & cleaned))
      ++run;
    if (run > at) {
      flushMarks();
      const size_t first = out.text.size();
      out.text.append(text.data() + at, run - at);
      if (options_.lowercase) {
        for (size_t k = first; k < out.text.size(); ++k) {
          if (out.text[k] >= 'A' && out.text[k] <= 'Z') out.text[k] = static_cast<char>(out.text[k] + ('a' - 'A'));
        }
      }
      if (track) {
        out.begin.insert(out.begin.end(), src.begin.begin() + static_cast<ptrdiff_t>(start + at),
                         src.begin.begin() + static_cast<ptrdiff_t>(start + run));
        out.end.insert(out.end.end(), src.end.begin() + static_cast<ptrdiff_t>(start + at),
                       src.end.begin() + static_cast<ptrdiff_t>(start + run));
      }
      at = run;
      if (at == text.size()) break;
    }
    const auto byte = static_cast<uint8_t>(text[at]);
    if (byte < 0x80) {
      // ASCII: no decomposition, no marks, no CJK, and lower case is a fixed offset.
      const uint8_t classes = bmp.of[byte];
      char c = static_cast<char>(byte);
      if (options_.cleanText) {
        if (byte == 0 || (classes & kControl)) {
          ++at;
          continue;
        }
        if (classes & kWhitespace) c = ' ';
      }
      if (options_.lowercase && c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      flushMarks();
      out.text.push_back(c);
      if (track) {
        out.begin.push_back(src.begin[start + at]);
        out.end.push_back(src.end[start + at]);
      }
      ++at;
      continue;
    }
    const CodePoint c = DecodeOne(text, at);
    at += c.length;
    const uint32_t from = src.Begin(start + c.at), to = src.End(start + c.at + c.length - 1);
    int32_t cp = c.cp;
    if (options_.cleanText) {
      const uint8_t classes = ClassesOf(bmp, cp);
      if (cp == 0xFFFD || (classes & kControl)) continue;
      if (classes & kWhitespace) cp = ' ';
    }
    const bool chinese = options_.handleChineseChars && IsChinese(cp);
    if (!chinese && cp == c.cp && !options_.stripAccents && !options_.lowercase) {
      // Kept as it is: its bytes, not a round trip through a code point.
      out.Append(text.substr(c.at, c.length), from, to);
      continue;
    }
    if (!options_.stripAccents) {
      if (chinese) out.Append(" ", from, from);
      emit(cp, from, to, &out);
      if (chinese) out.Append(" ", to, to);
      continue;
    }
    // Hugging Face's strip_accents: NFD, then no nonspacing mark (Mn).
    utf8proc_int32_t parts[32];
    const size_t n = Decompose(cp, parts);
    for (size_t k = 0; k < n; ++k) {
      const auto* property = utf8proc_get_property(parts[k]);
      const bool nonspacing = property->category == UTF8PROC_CATEGORY_MN;
      if (property->combining_class != 0) {
        // A dropped mark is no barrier either: the kept marks keep their order relative to each other.
        if (!nonspacing) marks.push_back({parts[k], from, to, static_cast<uint8_t>(property->combining_class)});
        continue;
      }
      flushMarks();
      if (chinese && k == 0) out.Append(" ", from, from);
      if (!nonspacing) emit(parts[k], from, to, &out);
    }
    if (chinese) {
      flushMarks();
      out.Append(" ", to, to);
    }
  }
  flushMarks();
  return out;
}

void WordPieceTokenizer::AppendWord(const std::string& text, size_t from, size_t to, std::vector<int32_t>* ids,
                                    std::vector<uint32_t>* spans) const {
  const std::string_view word = std::string_view(text).substr(from, to - from);
  auto unknown = [&] {
    ids->push_back(ids_.unknown);
    if (spans) spans->insert(spans->end(), {static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
  };
  // The normalizer writes valid UTF-8: a character starts at every byte that is no continuation byte.
  auto starts = [&](size_t at) { return at == word.size() || (static_cast<uint8_t>(word[at]) & 0xC0) != 0x80; };
  size_t chars = 0;
  for (size_t at = 0; at < word.size(); ++at) chars += starts(at);
  if (chars > options_.maxInputCharsPerWord) return unknown();
  const size_t before = ids->size(), spansBefore = spans ? spans->size() : 0;
  for (size_t a = 0; a < word.size();) {
    // The longest token that starts at byte a and ends at a character's end: one walk down the
    // trie, from below the continuation prefix after the first piece. Its first step, from one of
    // the two nodes every piece starts at, is a table look-up.
    int32_t node = (a > 0 ? fromContinuing_ : fromRoot_)[static_cast<uint8_t>(word[a])];
    int32_t found = WordPieceTrie::kNone;
    size_t b = a;
    for (size_t at = a + 1; node != WordPieceTrie::kNone;) {
      if (starts(at) && trie_->Id(node) != WordPieceTrie::kNone) {
        found = trie_->Id(node);
        b = at;
      }
      if (at == word.size()) break;
      node = trie_->Next(node, static_cast<uint8_t>(word[at++]));
    }
    if (found == WordPieceTrie::kNone) {
      // A word with a part that no token matches is one unknown token.
      ids->resize(before);
      if (spans) spans->resize(spansBefore);
      return unknown();
    }
    ids->push_back(found);
    if (spans) spans->insert(spans->end(), {static_cast<uint32_t>(from + a), static_cast<uint32_t>(from + b)});
    a = b;
  }
}

// A cut point is a place where the text before and after it are tokenized apart exactly as
// together: the character after it ends a word (whitespace that the normalizer keeps, ASCII
// punctuation, a CJK ideograph when those are split out) and starts anew everything the normalizer
// does per character (it is no mark, and NFD never moves one across it); the character before it
// is no Σ when lower-casing (its final form looks at the next character); and no added token is cut.
bool WordPieceTokenizer::IsCutPoint(std::string_view input, size_t cut) const {
  utf8proc_int32_t cp = -1, prev = -1;
  utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(input.data() + cut),
                   static_cast<utf8proc_ssize_t>(input.size() - cut), &cp);
  const size_t before = CharStart(input, cut - 1);
  utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(input.data() + before),
                   static_cast<utf8proc_ssize_t>(input.size() - before), &prev);
  if (cp < 0 || prev < 0) return false;
  const bool ends = (IsWhitespace(cp) && !IsControl(cp)) || (cp < 0x80 && IsPunctuation(cp)) ||
                    (options_.handleChineseChars && IsChinese(cp));
  if (!ends || (options_.doLowerCase && prev == 0x3A3)) return false;
  return !SpansSpecial(input, cut, options_.specialTokens, options_.doLowerCase);
}

Encoding WordPieceTokenizer::Encode(std::string_view input, size_t maxLength, bool withSpans) const {
  if (maxLength < 2) throw Error(ErrorCode::InvalidArgument, "maxLength must be at least 2");
  const size_t limit = maxLength - 2;
  std::vector<int32_t> pieces;
  std::vector<uint32_t> ranges;  // per piece, [begin, end) bytes of the input (withSpans)
  std::vector<uint32_t>* spans = withSpans ? &ranges : nullptr;
  // Window by window, each cut at a cut point: the pieces are those of the whole input, and the
  // windows after the one that passes the limit are never read.
  for (size_t pos = 0; pos < input.size() && pieces.size() <= limit;) {
    size_t cut = std::min(input.size(), pos + std::max<size_t>(windowBytes_, 1));
    while (cut < input.size() && ((static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80 || !IsCutPoint(input, cut)))
      ++cut;
    EncodeWindow(input, pos, cut, limit, &pieces, spans);
    pos = cut;
  }
  return Frame(std::move(pieces), std::move(ranges), limit, ids_, withSpans, input.size());
}

void WordPieceTokenizer::EncodeWindow(std::string_view input, size_t pos, size_t cut, size_t limit,
                                      std::vector<int32_t>* piecesOut, std::vector<uint32_t>* spans) const {
  std::vector<int32_t>& pieces = *piecesOut;
  const bool withSpans = spans != nullptr;
  const std::string_view window = input.substr(pos, cut - pos);
  AlignedText source = options_.doLowerCase ? PythonLower(window, withSpans) : Unchanged(window, withSpans);
  for (auto& b : source.begin) b += static_cast<uint32_t>(pos);
  for (auto& e : source.end) e += static_cast<uint32_t>(pos);
  const std::string_view raw = source.text;
  // Added tokens first, on the raw text: at each position the longest one that matches.
  auto special = [&](size_t i) -> std::pair<int32_t, size_t> {
    std::pair<int32_t, size_t> best{-1, 0};
    if (!specialFirst_[static_cast<uint8_t>(raw[i])]) return best;
    for (size_t k = 0; k < options_.specialTokens.size(); ++k) {
      const std::string& s = options_.specialTokens[k];
      if (s.size() > best.second && raw.compare(i, s.size(), s) == 0) best = {specialIds_[k], s.size()};
    }
    return best;
  };
  const BmpClasses& bmp = Bmp();
  auto text = [&](size_t from, size_t to) {
    if (from >= to) return;
    const AlignedText norm = Normalize(source, from, to - from);
    std::vector<uint32_t> local;  // piece spans in norm.text
    std::vector<uint32_t>* out = withSpans ? &local : nullptr;
    const size_t first = pieces.size();
    size_t word = std::string::npos;
    for (size_t at = 0; at < norm.text.size();) {
      if (pieces.size() > limit) break;
      const auto byte = static_cast<uint8_t>(norm.text[at]);
      bool space, punct;
      CodePoint c{byte, static_cast<uint32_t>(at), 1};
      if (byte < 0x80) {
        space = bmp.of[byte] & kWhitespace;
        punct = !space && (bmp.of[byte] & kPunctuation);
      } else {
        c = DecodeOne(norm.text, at);
        const uint8_t classes = ClassesOf(bmp, c.cp);
        space = classes & kWhitespace;
        punct = !space && (classes & kPunctuation);
      }
      at += c.length;
      if ((space || punct) && word != std::string::npos) {
        AppendWord(norm.text, word, c.at, &pieces, out);
        word = std::string::npos;
      }
      if (punct) {
        AppendWord(norm.text, c.at, c.at + c.length, &pieces, out);
      } else if (!space && word == std::string::npos) {
        word = c.at;
      }
    }
    if (word != std::string::npos && pieces.size() <= limit)
      AppendWord(norm.text, word, norm.text.size(), &pieces, out);
    if (spans) {
      for (size_t k = 0; k < pieces.size() - first; ++k) {
        spans->push_back(norm.Begin(local[2 * k]));
        spans->push_back(norm.End(local[2 * k + 1] - 1));
      }
    }
  };
  size_t start = 0;
  for (size_t i = 0; i < raw.size() && pieces.size() <= limit;) {
    const auto [id, length] = special(i);
    if (id < 0) {
      ++i;
      continue;
    }
    text(start, i);
    if (pieces.size() > limit) break;
    pieces.push_back(id);
    if (spans) spans->insert(spans->end(), {source.Begin(i), source.End(i + length - 1)});
    i += length;
    start = i;
  }
  if (pieces.size() <= limit) text(start, raw.size());
}

}  // namespace sentvec
