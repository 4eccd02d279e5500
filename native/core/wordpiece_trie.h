// A byte trie over a WordPiece vocabulary, for the greedy longest match: one walk over a word's
// bytes finds every vocabulary token that starts at a position, where looking each candidate up in
// a hash map built a string and hashed it once per candidate length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sentvec {

class WordPieceTrie {
 public:
  static constexpr int32_t kRoot = 0;
  static constexpr int32_t kNone = -1;

  // A token listed twice keeps its last id, as Hugging Face builds its map from vocab.txt.
  explicit WordPieceTrie(const std::vector<std::string>& vocab);

  // The node reached from `node` by `byte`, or kNone.
  int32_t Next(int32_t node, uint8_t byte) const {
    const uint32_t first = firstChild_[static_cast<size_t>(node)];
    const uint32_t last = firstChild_[static_cast<size_t>(node) + 1];
    // Children are numbered consecutively in byte order; most nodes have a handful.
    if (last - first <= 8) {
      for (uint32_t c = first; c < last; ++c) {
        if (label_[c] == byte) return static_cast<int32_t>(c);
      }
      return kNone;
    }
    uint32_t lo = first, hi = last;
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      if (label_[mid] < byte)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo < last && label_[lo] == byte ? static_cast<int32_t>(lo) : kNone;
  }
  // The id of the token that ends at `node`, or kNone.
  int32_t Id(int32_t node) const { return id_[static_cast<size_t>(node)]; }
  // The node reached from `node` by all of `bytes`, or kNone.
  int32_t Walk(int32_t node, std::string_view bytes) const {
    for (const char b : bytes) {
      if (node == kNone) break;
      node = Next(node, static_cast<uint8_t>(b));
    }
    return node;
  }
  // The id of `token`, or kNone.
  int32_t Find(std::string_view token) const {
    const int32_t node = Walk(kRoot, token);
    return node == kNone ? kNone : Id(node);
  }

 private:
  // Node n's children are nodes firstChild_[n] … firstChild_[n + 1] - 1 (breadth-first numbering).
  std::vector<uint32_t> firstChild_;
  std::vector<uint8_t> label_;  // the byte on the edge into each node
  std::vector<int32_t> id_;
};

}  // namespace sentvec
