#include "tokenizer.h"

#include <algorithm>

#include "aligned_text.h"
#include "error.h"
#include "limits.h"

namespace sentvec {

Encoding Frame(std::vector<int32_t> pieces, std::vector<uint32_t> ranges, size_t limit, const SpecialIds& ids,
               bool withSpans, size_t inputBytes) {
  // Framed in place: a copy would double what a whole long input (longInputs 'chunk') holds.
  Encoding enc;
  enc.truncated = pieces.size() > limit;
  if (enc.truncated) pieces.resize(limit);
  if (pieces.capacity() < pieces.size() + 2) pieces.reserve(pieces.size() + 2);
  pieces.insert(pieces.begin(), ids.start);
  pieces.push_back(ids.end);
  enc.ids = std::move(pieces);
  if (withSpans) {
    const auto end = static_cast<uint32_t>(inputBytes);
    ranges.resize(2 * (enc.ids.size() - 2));
    if (ranges.capacity() < ranges.size() + 4) ranges.reserve(ranges.size() + 4);
    ranges.insert(ranges.begin(), {0, 0});
    ranges.insert(ranges.end(), {end, end});
    enc.spans = std::move(ranges);
  }
  return enc;
}

std::pair<size_t, size_t> LongestFirst(size_t first, size_t second, size_t budget) {
  if (first + second <= budget) return {first, second};
  // The shorter keeps all its pieces when that leaves the longer at least as many.
  if (first <= second && 2 * first <= budget) return {first, budget - first};
  if (second < first && 2 * second <= budget) return {budget - second, second};
  // Both cut to half; the odd piece goes to the longer, to the second when they are equal.
  return first > second ? std::pair{budget - budget / 2, budget / 2} : std::pair{budget / 2, budget - budget / 2};
}

namespace {

// One sequence of a pair: its first pieces and the length LongestFirst compares. Rust's tokenizer
// stops a sequence at the end of the first word (pre-token) that brings it to maxLength pieces or
// more, counting special tokens spelled in the text but never stopping at one, so that is the
// length it compares (measured on npm tokenizers 0.23 over random pairs: test/pairs.property.test.mjs).
struct PairSide {
  Encoding encoding;
  size_t length = 0;
};

PairSide ReadSide(const Tokenizer& tokenizer, std::string_view text, size_t maxLength) {
  // Read as far as needed to see where that word ends: maxLength pieces and one more, then twice
  // as many each time the word goes on (a text without spaces is one word to XLM-R).
  for (size_t limit = maxLength + 1;; limit *= 2) {
    PairSide side;
    side.encoding = tokenizer.Encode(text, limit + 2);
    const auto& ids = side.encoding.ids;
    const size_t count = ids.size() - 2;
    const bool whole = !side.encoding.truncated;
    side.length = count;
    bool known = whole;
    for (size_t k = maxLength - 1; k < count; ++k) {
      if (tokenizer.IsAddedToken(ids[k + 1])) continue;
      if (k + 1 < count && tokenizer.StartsWord(ids[k + 2])) {
        side.length = k + 1;
        known = true;
        break;
      }
    }
    if (known || limit >= kMaxTokenizeLength / 4) return side;
  }
}

}  // namespace

Encoding Tokenizer::EncodePair(std::string_view first, std::string_view second, size_t maxLength) const {
  const PairFormat format = pairFormat();
  if (maxLength < format.specials()) {
    throw Error(ErrorCode::InvalidArgument, "a pair needs at least " + std::to_string(format.specials()) +
                                                " tokens (its special tokens); maxLength is " +
                                                std::to_string(maxLength));
  }
  const size_t budget = maxLength - format.specials();
  const PairSide a = ReadSide(*this, first, maxLength), b = ReadSide(*this, second, maxLength);
  const auto [keepA, keepB] = LongestFirst(a.length, b.length, budget);
  const SpecialIds ids = specialIds();
  const auto& pa = a.encoding.ids;
  const auto& pb = b.encoding.ids;
  Encoding pair;
  pair.truncated = keepA < pa.size() - 2 || keepB < pb.size() - 2 || a.encoding.truncated || b.encoding.truncated;
  pair.ids.reserve(keepA + keepB + format.specials());
  pair.ids.push_back(ids.start);
  pair.ids.insert(pair.ids.end(), pa.begin() + 1, pa.begin() + 1 + static_cast<std::ptrdiff_t>(keepA));
  pair.ids.push_back(ids.end);
  if (format.doubleSeparator) pair.ids.push_back(ids.end);
  if (format.segmentTypes) pair.secondFrom = static_cast<uint32_t>(pair.ids.size());
  pair.ids.insert(pair.ids.end(), pb.begin() + 1, pb.begin() + 1 + static_cast<std::ptrdiff_t>(keepB));
  pair.ids.push_back(ids.end);
  return pair;
}

bool SpansSpecial(std::string_view text, size_t cut, const std::vector<std::string>& specials, bool lowerCase) {
  size_t longest = 0;
  for (const auto& s : specials) longest = std::max(longest, s.size());
  if (longest < 2 || cut == 0 || cut >= text.size()) return false;
  // Lower-casing turns up to 3 bytes into 1 (K, the Kelvin sign, into k): a margin of 4 bytes per
  // byte of the longest special holds every occurrence that could reach the cut, and keeps the
  // region's edges (where str.lower()'s final-sigma rule lacks context) away from it.
  const size_t margin = 4 * longest + 4;
  const size_t from = CharStart(text, cut > margin ? cut - margin : 0);
  const size_t to = CharStart(text, std::min(text.size(), cut + margin));
  const std::string_view region = text.substr(from, to - from);
  AlignedText lowered;
  if (lowerCase) lowered = PythonLower(region, true);
  const std::string_view view = lowerCase ? std::string_view(lowered.text) : region;
  size_t at = cut - from;
  if (lowerCase) {
    at = 0;
    while (at < view.size() && lowered.begin[at] < cut - from) ++at;
  }
  for (const auto& s : specials) {
    for (size_t i = at >= s.size() ? at - s.size() + 1 : 0; i < at; ++i) {
      if (view.compare(i, s.size(), s) == 0) return true;
    }
  }
  return false;
}

}  // namespace sentvec
