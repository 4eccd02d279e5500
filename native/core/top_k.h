// Selection of the best k search hits: a bounded heap per query and thread, merged at the end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sentvec {

struct Hit {
  float score;
  uint64_t id;
  uint32_t slot;
};

// Better = higher score; equal scores: lower id, so results never depend on storage order.
inline bool Better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.id < b.id); }

// Keeps the best `k` hits; the worst kept sits at front() (a heap ordered by Better).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }
  void Push(const Hit& hit) {
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  std::vector<Hit>& hits() { return heap_; }

 private:
  size_t k_;
  std::vector<Hit> heap_;
};

}  // namespace sentvec
