#include "index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "error.h"
#include "kernels.h"
#include "limits.h"
#include "parallel.h"
#include "pooling.h"
#include "system.h"
#include "top_k.h"
#include "vector_quantization.h"

namespace sentvec {

namespace {

// Below this many candidates per thread, more threads cost more than they save.
constexpr size_t kMinRowsPerThread = 8192;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

std::string Scientific(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

Index::Index(const IndexOptions& options) : options_(options) {
  if (options.dimension == 0 || options.dimension > kMaxDimension) {
    throw Error(ErrorCode::InvalidArgument, "dimension must be between 1 and " + std::to_string(kMaxDimension));
  }
  if (options.threads < 0 || options.threads > kMaxThreads) {
    throw Error(ErrorCode::InvalidArgument, "threads must be from 1 to " + std::to_string(kMaxThreads));
  }
  threads_ = options.threads > 0 ? options.threads : PhysicalCores();
  keepF32_ = options.precision == Precision::F32 || options.rescore;
  f32Stride_ = RoundUp(options.dimension, 16);
  i8Stride_ = RoundUp(options.dimension, 64);
  bitBytes_ = (options.dimension + 7) / 8;
  bitStride_ = RoundUp(bitBytes_, 8);
  GetKernels();
}

size_t Index::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return ids_.size();
}

size_t Index::memoryBytes() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return f32_.size() * sizeof(float) + i8_.size() + scales_.size() * sizeof(float) + bits_.size();
}

void Index::Reserve(size_t count) {
  if (keepF32_) f32_.resize(count * f32Stride_);
  if (options_.precision == Precision::Int8) {
    i8_.resize(count * i8Stride_);
    scales_.resize(count);
  }
  if (options_.precision == Precision::Binary) bits_.resize(count * bitStride_);
}

void Index::Encode(const float* vector, size_t slot, std::vector<float>& tmp) {
  const size_t dim = options_.dimension;
  tmp.assign(vector, vector + dim);
  if (options_.metric == Metric::Cosine) Normalize(tmp.data(), dim);
  if (keepF32_) std::copy(tmp.begin(), tmp.end(), f32_.data() + slot * f32Stride_);
  if (options_.precision == Precision::Int8)
    scales_[slot] = QuantizeInt8(tmp.data(), dim, i8_.data() + slot * i8Stride_);
  if (options_.precision == Precision::Binary) SignBits(tmp.data(), dim, bits_.data() + slot * bitStride_, bitBytes_);
}

// Every score must come out finite: no NaN or infinity in, and for metric 'dot' no norm whose
// products could overflow float32. (Cosine vectors are normalized by the rule pooling uses,
// x / max(‖x‖, 1e-12), which keeps near-zero and subnormal vectors finite.)
void Index::CheckVectors(const float* vectors, size_t n, const char* what) const {
  const size_t dim = options_.dimension;
  for (size_t i = 0; i < n; ++i) {
    const float* v = vectors + i * dim;
    double sum = 0;
    for (size_t d = 0; d < dim; ++d) {
      if (!std::isfinite(v[d])) {
        throw Error(ErrorCode::InvalidArgument, std::string(what) + " " + std::to_string(i) + " has a " +
                                                    (std::isnan(v[d]) ? "NaN" : "infinite") + " value at position " +
                                                    std::to_string(d));
      }
      sum += static_cast<double>(v[d]) * v[d];
    }
    if (options_.metric == Metric::Dot && std::sqrt(sum) > kMaxDotNorm) {
      throw Error(ErrorCode::InvalidArgument,
                  std::string(what) + " " + std::to_string(i) + " has an L2 norm of " + Scientific(std::sqrt(sum)) +
                      "; with metric 'dot' norms must stay below " + Scientific(kMaxDotNorm) +
                      " so that scores stay finite. Scale the vectors down, or use metric 'cosine'");
    }
  }
}

void Index::Add(const float* vectors, size_t n, const uint64_t* ids) {
  const size_t dim = options_.dimension;
  CheckVectors(vectors, n, "vector");
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (ids_.size() + n > UINT32_MAX)
    throw Error(ErrorCode::InvalidArgument, "an index holds at most 4294967295 vectors");
  std::vector<uint64_t> assigned(n);
  if (ids) {
    std::unordered_map<uint64_t, size_t> seen;
    seen.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (slots_.count(ids[i])) {
        throw Error(ErrorCode::DuplicateId, "id " + std::to_string(ids[i]) + " (ids[" + std::to_string(i) +
                                                "]) is already in the index; remove it first to replace its vector");
      }
      auto [it, fresh] = seen.emplace(ids[i], i);
      if (!fresh) {
        throw Error(ErrorCode::DuplicateId, "id " + std::to_string(ids[i]) + " appears twice, at ids[" +
                                                std::to_string(it->second) + "] and ids[" + std::to_string(i) + "]");
      }
      assigned[i] = ids[i];
    }
  } else if (n > 0) {
    // nextId_ + n − 1 is the last id this call takes; it must not pass 2^64 − 1.
    if (idsExhausted_ || n - 1 > UINT64_MAX - nextId_) {
      throw Error(ErrorCode::InvalidArgument,
                  "automatic ids are used up: they continue above the largest id ever given (" +
                      (idsExhausted_ ? std::string("18446744073709551615") : std::to_string(nextId_ - 1)) + "), and " +
                      std::to_string(n) + " more would pass 2^64 − 1; pass explicit ids");
    }
    for (size_t i = 0; i < n; ++i) assigned[i] = nextId_ + i;
  }
  const size_t first = ids_.size();
  Reserve(first + n);
  std::vector<float> scratch;  // one buffer for the whole call, not one per vector
  for (size_t i = 0; i < n; ++i) {
    Encode(vectors + i * dim, first + i, scratch);
    ids_.push_back(assigned[i]);
    slots_.emplace(assigned[i], static_cast<uint32_t>(first + i));
    if (assigned[i] == UINT64_MAX)
      idsExhausted_ = true;
    else if (assigned[i] >= nextId_)
      nextId_ = assigned[i] + 1;
  }
}

size_t Index::Remove(const uint64_t* ids, size_t n) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    auto it = slots_.find(ids[i]);
    if (it == slots_.end()) continue;
    // Move the last vector into the freed slot: storage stays dense. Result order does not
    // depend on slots (ties break by id).
    const uint32_t slot = it->second;
    const uint32_t last = static_cast<uint32_t>(ids_.size() - 1);
    if (slot != last) {
      if (keepF32_)
        std::memcpy(f32_.data() + slot * f32Stride_, f32_.data() + last * f32Stride_, f32Stride_ * sizeof(float));
      if (options_.precision == Precision::Int8) {
        std::memcpy(i8_.data() + slot * i8Stride_, i8_.data() + last * i8Stride_, i8Stride_);
        scales_[slot] = scales_[last];
      }
      if (options_.precision == Precision::Binary) {
        std::memcpy(bits_.data() + slot * bitStride_, bits_.data() + last * bitStride_, bitStride_);
      }
      ids_[slot] = ids_[last];
      slots_[ids_[slot]] = slot;
    }
    slots_.erase(it);
    ids_.pop_back();
    ++removed;
  }
  Reserve(ids_.size());
  return removed;
}

std::vector<uint32_t> Index::Candidates(const Filter* filter) const {
  std::vector<uint32_t> slots;
  if (filter->useBitmap) {
    const auto& bitmap = filter->bitmap;
    for (uint32_t s = 0; s < ids_.size(); ++s) {
      const uint64_t id = ids_[s];
      if (id / 8 < bitmap.size() && (bitmap[id / 8] >> (id % 8)) & 1) slots.push_back(s);
    }
  } else {
    slots.reserve(filter->ids.size());
    for (uint64_t id : filter->ids) {
      auto it = slots_.find(id);
      if (it != slots_.end()) slots.push_back(it->second);
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  }
  return slots;
}

SearchResults Index::Search(const float* queries, size_t queryCount, size_t topK, const Filter* filter,
                            size_t oversample) const {
  if (topK == 0 || topK > kMaxTopK)
    throw Error(ErrorCode::InvalidArgument, "topK must be an integer from 1 to " + std::to_string(kMaxTopK));
  if (oversample == 0 || oversample > kMaxOversample)
    throw Error(ErrorCode::InvalidArgument,
                "oversample must be an integer from 1 to " + std::to_string(kMaxOversample));
  const size_t dim = options_.dimension;
  CheckVectors(queries, queryCount, "query");
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const Kernels& kernels = GetKernels();

  // Queries in every stored form.
  std::vector<float> qf(queryCount * f32Stride_, 0.0f);
  std::vector<int8_t> qi8;
  std::vector<float> qscale;
  std::vector<uint8_t> qbits;
  for (size_t q = 0; q < queryCount; ++q) {
    float* dst = qf.data() + q * f32Stride_;
    std::copy(queries + q * dim, queries + (q + 1) * dim, dst);
    if (options_.metric == Metric::Cosine) Normalize(dst, dim);
  }
  if (options_.precision == Precision::Int8) {
    qi8.assign(queryCount * i8Stride_, 0);
    qscale.resize(queryCount);
    for (size_t q = 0; q < queryCount; ++q)
      qscale[q] = QuantizeInt8(qf.data() + q * f32Stride_, dim, qi8.data() + q * i8Stride_);
  }
  if (options_.precision == Precision::Binary) {
    qbits.assign(queryCount * bitStride_, 0);
    for (size_t q = 0; q < queryCount; ++q)
      SignBits(qf.data() + q * f32Stride_, dim, qbits.data() + q * bitStride_, bitBytes_);
  }

  std::vector<uint32_t> filtered;
  const bool useFilter = filter != nullptr;
  if (useFilter) filtered = Candidates(filter);
  const size_t total = useFilter ? filtered.size() : ids_.size();
  const bool approximate = options_.precision != Precision::F32;
  const bool rescore = approximate && keepF32_;
  // Slots per query: never more than there are candidates, whatever topK asks.
  const size_t slots = std::min(topK, total);
  const size_t keep = std::min(total, rescore ? slots * oversample : slots);

  SearchResults results;
  results.slots = slots;
  results.ids.assign(queryCount * slots, 0);
  results.scores.assign(queryCount * slots, 0.0f);
  results.counts.assign(queryCount, 0);
  if (total == 0 || queryCount == 0) return results;

  const size_t parts = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads_), total / kMinRowsPerThread));
  // Rows per block: a block stays in cache while every query visits it.
  const size_t rowBytes = options_.precision == Precision::F32    ? f32Stride_ * 4
                          : options_.precision == Precision::Int8 ? i8Stride_
                                                                  : bitStride_;
  const size_t block = std::max<size_t>(16, (256 * 1024) / rowBytes);
  std::vector<std::vector<TopK>> partial(parts);

  auto scan = [&](size_t part) {
    const size_t begin = total * part / parts;
    const size_t end = total * (part + 1) / parts;
    auto& tops = partial[part];
    tops.reserve(queryCount);
    for (size_t q = 0; q < queryCount; ++q) tops.emplace_back(keep);
    double d;
    for (size_t b0 = begin; b0 < end; b0 += block) {
      const size_t b1 = std::min(end, b0 + block);
      for (size_t q = 0; q < queryCount; ++q) {
        TopK& top = tops[q];
        for (size_t i = b0; i < b1; ++i) {
          const uint32_t slot = useFilter ? filtered[i] : static_cast<uint32_t>(i);
          float score;
          switch (options_.precision) {
            case Precision::F32:
              kernels.dotF32(qf.data() + q * f32Stride_, f32_.data() + slot * f32Stride_, dim, &d);
              score = static_cast<float>(d);
              break;
            case Precision::Int8:
              kernels.dotI8(qi8.data() + q * i8Stride_, i8_.data() + slot * i8Stride_, dim, &d);
              score = static_cast<float>(d) * qscale[q] * scales_[slot];
              break;
            case Precision::Binary:
            default:
              kernels.hamming(qbits.data() + q * bitStride_, bits_.data() + slot * bitStride_, bitBytes_, &d);
              score = 1.0f - 2.0f * static_cast<float>(d) / static_cast<float>(dim);
              break;
          }
          top.Push(Hit{score, ids_[slot], slot});
        }
      }
    }
  };
  RunParallel(parts, scan);

  double d;
  for (size_t q = 0; q < queryCount; ++q) {
    std::vector<Hit> merged;
    for (auto& tops : partial) {
      auto& hits = tops[q].hits();
      merged.insert(merged.end(), hits.begin(), hits.end());
    }
    std::sort(merged.begin(), merged.end(), Better);
    if (merged.size() > keep) merged.resize(keep);
    if (rescore) {
      for (Hit& h : merged) {
        kernels.dotF32(qf.data() + q * f32Stride_, f32_.data() + h.slot * f32Stride_, dim, &d);
        h.score = static_cast<float>(d);
      }
      std::sort(merged.begin(), merged.end(), Better);
    }
    const size_t n = std::min(slots, merged.size());
    for (size_t i = 0; i < n; ++i) {
      results.ids[q * slots + i] = merged[i].id;
      results.scores[q * slots + i] = merged[i].score;
    }
    results.counts[q] = static_cast<uint32_t>(n);
  }
  return results;
}

}  // namespace sentvec
