#include "tokenizer.h"

#include <algorithm>

#include "aligned_text.h"

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
