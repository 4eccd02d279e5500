#include "wordpiece_trie.h"

#include <algorithm>
#include <numeric>

namespace sentvec {

WordPieceTrie::WordPieceTrie(const std::vector<std::string>& vocab) {
  std::vector<uint32_t> order(vocab.size());
  std::iota(order.begin(), order.end(), 0u);
  // Stable, so that of equal tokens the last listed ends each run.
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return vocab[a] < vocab[b]; });
  std::vector<uint32_t> tokens;
  tokens.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && vocab[order[i]] == vocab[order[i + 1]]) continue;
    tokens.push_back(order[i]);
  }
  // Breadth first, so that each node's children are numbered consecutively in byte order.
  struct Range {
    uint32_t lo, hi, depth;
  };
  std::vector<Range> nodes{{0, static_cast<uint32_t>(tokens.size()), 0}};
  label_.push_back(0);
  id_.push_back(kNone);
  for (size_t n = 0; n < nodes.size(); ++n) {
    firstChild_.push_back(static_cast<uint32_t>(nodes.size()));
    auto [lo, hi, depth] = nodes[n];
    // Sorted, a token equal to the shared prefix comes first.
    if (lo < hi && vocab[tokens[lo]].size() == depth) id_[n] = static_cast<int32_t>(tokens[lo++]);
    while (lo < hi) {
      const char byte = vocab[tokens[lo]][depth];
      uint32_t end = lo + 1;
      while (end < hi && vocab[tokens[end]][depth] == byte) ++end;
      nodes.push_back({lo, end, depth + 1});
      label_.push_back(static_cast<uint8_t>(byte));
      id_.push_back(kNone);
      lo = end;
    }
  }
  firstChild_.push_back(static_cast<uint32_t>(nodes.size()));
}

}  // namespace sentvec
