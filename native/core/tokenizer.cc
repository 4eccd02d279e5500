#include "tokenizer.h"

namespace sentvec {

Encoding Frame(std::vector<int32_t> pieces, std::vector<uint32_t> ranges, size_t limit, const SpecialIds& ids,
               bool withOffsets, size_t inputBytes) {
  Encoding enc;
  enc.truncated = pieces.size() > limit;
  if (enc.truncated) pieces.resize(limit);
  enc.ids.reserve(pieces.size() + 2);
  enc.ids.push_back(ids.start);
  enc.ids.insert(enc.ids.end(), pieces.begin(), pieces.end());
  enc.ids.push_back(ids.end);
  if (withOffsets) {
    const auto end = static_cast<uint32_t>(inputBytes);
    ranges.resize(2 * pieces.size());
    enc.offsets.reserve(ranges.size() + 4);
    enc.offsets.insert(enc.offsets.end(), {0, 0});
    enc.offsets.insert(enc.offsets.end(), ranges.begin(), ranges.end());
    enc.offsets.insert(enc.offsets.end(), {end, end});
  }
  return enc;
}

}  // namespace sentvec
