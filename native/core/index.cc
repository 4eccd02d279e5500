#include "index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>

#include "error.h"
#include "parallel.h"
#include "pooling.h"
#include "system.h"

#define SIMSIMD_DYNAMIC_DISPATCH 1
#define SIMSIMD_NATIVE_F16 0
#define SIMSIMD_NATIVE_BF16 0
#include "simsimd/simsimd.h"

#define XXH_INLINE_ALL
#include "xxhash.h"

#if defined(_WIN32)
#include <io.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace sentvec {

namespace {

constexpr char kMagic[8] = {'S', 'V', 'I', 'N', 'D', 'E', 'X', '\0'};
constexpr uint32_t kFormatVersion = 2;
// Header flags.
constexpr uint32_t kFlagF32 = 1;           // f32 vectors are stored (int8 / binary: for rescoring)
constexpr uint32_t kFlagIdsExhausted = 2;  // id 2^64 − 1 was given: no automatic id is left (version 2)
constexpr size_t kHeaderBytes = 64;
// Below this many candidates per thread, more threads cost more than they save.
constexpr size_t kMinRowsPerThread = 8192;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct Kernels {
  simsimd_metric_dense_punned_t dotF32;
  simsimd_metric_dense_punned_t dotI8;
  simsimd_metric_dense_punned_t hamming;
};

const Kernels& GetKernels() {
  static const Kernels kernels = [] {
    const simsimd_capability_t caps = simsimd_capabilities();
    auto find = [&](simsimd_metric_kind_t kind, simsimd_datatype_t type) {
      simsimd_kernel_punned_t kernel = nullptr;
      simsimd_capability_t used;
      simsimd_find_kernel_punned(kind, type, caps, simsimd_cap_any_k, &kernel, &used);
      if (!kernel) throw Error(ErrorCode::InvalidArgument, "no SimSIMD kernel for this CPU");
      return reinterpret_cast<simsimd_metric_dense_punned_t>(kernel);
    };
    return Kernels{find(simsimd_metric_dot_k, simsimd_datatype_f32_k),
                   find(simsimd_metric_dot_k, simsimd_datatype_i8_k),
                   find(simsimd_metric_hamming_k, simsimd_datatype_b8_k)};
  }();
  return kernels;
}

struct Hit {
  float score;
  uint64_t id;
  uint32_t slot;
};
// Better = higher score; equal scores: lower id.
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

std::string Scientific(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Per-vector scalar quantization: x ≈ code × scale with code in [-127, 127].
float QuantizeInt8(const float* v, size_t dim, int8_t* out) {
  float maxAbs = 0;
  for (size_t d = 0; d < dim; ++d) maxAbs = std::max(maxAbs, std::fabs(v[d]));
  const float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
  for (size_t d = 0; d < dim; ++d) out[d] = static_cast<int8_t>(std::lrint(v[d] / scale));
  return scale;
}

void SignBits(const float* v, size_t dim, uint8_t* out, size_t bytes) {
  std::memset(out, 0, bytes);
  for (size_t d = 0; d < dim; ++d) {
    if (v[d] > 0) out[d / 8] |= static_cast<uint8_t>(1u << (d % 8));
  }
}

}  // namespace

template <typename T>
AlignedBuffer<T>::~AlignedBuffer() {
  std::free(data_);
}

template <typename T>
void AlignedBuffer<T>::resize(size_t count) {
  if (count > capacity_) {
    size_t capacity = std::max(count, capacity_ + capacity_ / 2);
    const size_t bytes = RoundUp(std::max<size_t>(capacity * sizeof(T), 64), 64);
    void* fresh = nullptr;
#if defined(_WIN32)
    fresh = _aligned_malloc(bytes, 64);
#else
    if (posix_memalign(&fresh, 64, bytes) != 0) fresh = nullptr;
#endif
    if (!fresh) throw std::bad_alloc();
    if (data_) std::memcpy(fresh, data_, size_ * sizeof(T));
    std::free(data_);
    data_ = static_cast<T*>(fresh);
    capacity_ = bytes / sizeof(T);
  }
  if (count > size_) std::memset(static_cast<void*>(data_ + size_), 0, (count - size_) * sizeof(T));
  size_ = count;
}

template class AlignedBuffer<float>;
template class AlignedBuffer<int8_t>;
template class AlignedBuffer<uint8_t>;

Index::Index(const IndexOptions& options) : options_(options) {
  if (options.dimension == 0 || options.dimension > (1u << 20)) {
    throw Error(ErrorCode::InvalidArgument, "dimension must be between 1 and 1048576");
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

SearchResults Index::Search(const float* queries, size_t queryCount, size_t k, const Filter* filter,
                            size_t oversample) const {
  if (k == 0) throw Error(ErrorCode::InvalidArgument, "k must be at least 1");
  if (oversample == 0) throw Error(ErrorCode::InvalidArgument, "oversample must be at least 1");
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
  // Slots per query: never more than there are candidates, whatever k asks.
  k = std::min(k, total);
  const size_t keep = std::min(total, rescore ? k * std::min(oversample, kMaxOversample) : k);

  SearchResults results;
  results.k = k;
  results.ids.assign(queryCount * k, 0);
  results.scores.assign(queryCount * k, 0.0f);
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
    simsimd_distance_t d;
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

  simsimd_distance_t d;
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
    const size_t n = std::min(k, merged.size());
    for (size_t i = 0; i < n; ++i) {
      results.ids[q * k + i] = merged[i].id;
      results.scores[q * k + i] = merged[i].score;
    }
    results.counts[q] = static_cast<uint32_t>(n);
  }
  return results;
}

// ---------- persistence ----------

namespace {

void Put32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void Put64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
uint32_t Get32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

size_t PayloadBytes(uint64_t count, size_t dim, Precision precision, bool f32) {
  size_t bytes = count * 8;
  if (f32) bytes += count * dim * 4;
  if (precision == Precision::Int8) bytes += count * dim + count * 4;
  if (precision == Precision::Binary) bytes += count * ((dim + 7) / 8);
  return bytes;
}

void WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
#if defined(_WIN32)
    const auto n = _write(fd, data.data() + done, static_cast<unsigned>(std::min<size_t>(data.size() - done, 1 << 30)));
#else
    const auto n = ::write(fd, data.data() + done, data.size() - done);
#endif
    if (n <= 0) throw Error(ErrorCode::Io, "cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void BadFile(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::IndexFile, path + ": " + why, path);
}

}  // namespace

void Index::Save(const std::string& path) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const size_t dim = options_.dimension;
  const uint64_t count = ids_.size();
  const size_t payload = PayloadBytes(count, dim, options_.precision, keepF32_);
  std::string out;
  out.reserve(kHeaderBytes + payload + 8);
  out.append(kMagic, 8);
  // Version 2 only marks used-up automatic ids, so that files without them stay readable by
  // sentvec versions that read version 1.
  Put32(out, idsExhausted_ ? 2u : 1u);
  Put32(out, kHeaderBytes);
  Put32(out, static_cast<uint32_t>(dim));
  Put32(out, static_cast<uint32_t>(options_.metric));
  Put32(out, static_cast<uint32_t>(options_.precision));
  Put32(out, 8);  // id width in bytes
  Put64(out, count);
  Put32(out, (keepF32_ ? kFlagF32 : 0u) | (idsExhausted_ ? kFlagIdsExhausted : 0u));
  Put32(out, 0);
  Put64(out, nextId_);
  Put64(out, payload);
  out.append(reinterpret_cast<const char*>(ids_.data()), count * 8);
  if (keepF32_) {
    for (size_t s = 0; s < count; ++s) out.append(reinterpret_cast<const char*>(f32_.data() + s * f32Stride_), dim * 4);
  }
  if (options_.precision == Precision::Int8) {
    for (size_t s = 0; s < count; ++s) out.append(reinterpret_cast<const char*>(i8_.data() + s * i8Stride_), dim);
    out.append(reinterpret_cast<const char*>(scales_.data()), count * 4);
  }
  if (options_.precision == Precision::Binary) {
    for (size_t s = 0; s < count; ++s)
      out.append(reinterpret_cast<const char*>(bits_.data() + s * bitStride_), bitBytes_);
  }
  Put64(out, XXH3_64bits(out.data(), out.size()));
  lock.unlock();

  // Atomic replacement: a temporary file beside the target, flushed, then renamed over it.
#if !defined(_WIN32)
  // Saves into one folder hold a lock on it (flock, released by the kernel when a process dies),
  // so a temporary file of this path found while holding it belongs to a save that was killed.
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string prefix = path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp-";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (dfd >= 0 && ::flock(dfd, LOCK_EX) == 0) {
    if (DIR* d = ::fdopendir(::dup(dfd))) {
      while (const dirent* entry = ::readdir(d)) {
        if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0) ::unlinkat(dfd, entry->d_name, 0);
      }
      ::closedir(d);
    }
  }
  struct DirGuard {
    int fd;
    ~DirGuard() {
      if (fd >= 0) ::close(fd);  // also releases the lock
    }
  } dirGuard{dfd};
#endif
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(rd()) + std::to_string(rd());
#if defined(_WIN32)
  int fd = _open(tmp.c_str(), _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY, 0644);
#else
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
#endif
  if (fd < 0) throw Error(ErrorCode::Io, "cannot create " + tmp + ": " + std::strerror(errno), path);
  try {
    WriteAll(fd, out, tmp);
#if !defined(_WIN32)
    if (::fsync(fd) != 0) throw Error(ErrorCode::Io, "cannot flush " + tmp + ": " + std::strerror(errno), path);
    ::close(fd);
#else
    _commit(fd);
    _close(fd);
#endif
    fd = -1;
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw Error(ErrorCode::Io, "cannot move " + tmp + " to " + path + ": " + std::strerror(errno), path);
    }
  } catch (...) {
#if !defined(_WIN32)
    if (fd >= 0) ::close(fd);
#else
    if (fd >= 0) _close(fd);
#endif
    std::remove(tmp.c_str());
    throw;
  }
#if !defined(_WIN32)
  // The rename itself must reach the disk: flush the directory.
  if (dfd >= 0) ::fsync(dfd);
#endif
}

std::unique_ptr<Index> Index::Load(const std::string& path, int threads) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::IndexFile, "cannot read " + path + ": the file is missing or unreadable", path);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return FromBytes(data, path, threads);
}

std::unique_ptr<Index> Index::FromBytes(const std::string& data, const std::string& path, int threads) {
  const std::string hint = "; rebuild the index and save it again";
  if (data.size() < 8 || std::memcmp(data.data(), kMagic, 8) != 0)
    BadFile(path, "not a sentvec index (wrong magic bytes)");
  if (data.size() < kHeaderBytes + 8)
    BadFile(path, "truncated: " + std::to_string(data.size()) + " bytes is shorter than the header" + hint);
  const char* h = data.data();
  const uint32_t version = Get32(h + 8);
  if (version > kFormatVersion) {
    BadFile(path, "format version " + std::to_string(version) + " is newer than this sentvec reads (" +
                      std::to_string(kFormatVersion) + "); upgrade sentvec");
  }
  if (version == 0 || Get32(h + 12) != kHeaderBytes) BadFile(path, "unknown header layout" + hint);
  IndexOptions options;
  options.dimension = Get32(h + 16);
  const uint32_t metric = Get32(h + 20), precision = Get32(h + 24), idWidth = Get32(h + 28);
  const uint64_t count = Get64(h + 32);
  const uint32_t flags = Get32(h + 40);
  const uint64_t nextId = Get64(h + 48), payload = Get64(h + 56);
  if (metric > 1 || precision > 2 || idWidth != 8 || options.dimension == 0 || options.dimension > (1u << 20) ||
      flags > (version >= 2 ? kFlagF32 | kFlagIdsExhausted : kFlagF32)) {
    BadFile(path, "corrupt header" + hint);
  }
  options.metric = static_cast<Metric>(metric);
  options.precision = static_cast<Precision>(precision);
  options.rescore = (flags & kFlagF32) != 0;
  options.threads = threads;
  if (options.precision == Precision::F32 && !options.rescore) BadFile(path, "corrupt header" + hint);
  // Sizes are checked before any allocation that depends on them.
  if (count > UINT32_MAX || count > data.size()) {
    BadFile(path, (data.size() < kHeaderBytes + payload + 8 ? "truncated" : "corrupt header") + hint);
  }
  if (payload != PayloadBytes(count, options.dimension, options.precision, options.rescore))
    BadFile(path, "corrupt header" + hint);
  if (data.size() < kHeaderBytes + payload + 8) {
    BadFile(path, "truncated: " + std::to_string(data.size()) + " of " + std::to_string(kHeaderBytes + payload + 8) +
                      " bytes" + hint);
  }
  if (data.size() > kHeaderBytes + payload + 8) BadFile(path, "unexpected bytes after the end of the index" + hint);
#if !defined(SENTVEC_FUZZING)  // the fuzzer reaches the checks below only past the checksum
  if (XXH3_64bits(data.data(), kHeaderBytes + payload) != Get64(data.data() + kHeaderBytes + payload)) {
    BadFile(path, "checksum mismatch: the file is corrupt" + hint);
  }
#endif

  auto index = std::make_unique<Index>(options);
  const size_t dim = options.dimension;
  const char* p = data.data() + kHeaderBytes;
  // (memcpy with count 0 would pass a null pointer: every copy below is guarded by count.)
  if (count == 0) {
    index->nextId_ = nextId;
    index->idsExhausted_ = (flags & kFlagIdsExhausted) != 0;
    return index;
  }
  index->ids_.resize(count);
  std::memcpy(index->ids_.data(), p, count * 8);
  p += count * 8;
  index->slots_.reserve(count);
  for (size_t s = 0; s < count; ++s) {
    if (!index->slots_.emplace(index->ids_[s], static_cast<uint32_t>(s)).second) BadFile(path, "repeated id" + hint);
  }
  // Automatic ids continue above every id, even where the file says otherwise (earlier
  // versions could record a next id that had wrapped around to 0).
  index->nextId_ = nextId;
  index->idsExhausted_ = (flags & kFlagIdsExhausted) != 0;
  for (uint64_t id : index->ids_) {
    if (id == UINT64_MAX)
      index->idsExhausted_ = true;
    else if (id >= index->nextId_)
      index->nextId_ = id + 1;
  }
  index->Reserve(count);
  // A checksum is no proof that the values came from save(): scores must stay finite whatever
  // the file holds, so stored vectors obey the rules of add().
  if (index->keepF32_) {
    for (size_t s = 0; s < count; ++s, p += dim * 4) {
      float* row = index->f32_.data() + s * index->f32Stride_;
      std::memcpy(row, p, dim * 4);
      double sum = 0;
      for (size_t d = 0; d < dim; ++d) sum += static_cast<double>(row[d]) * row[d];
      if (!(std::sqrt(sum) <= kMaxDotNorm))
        BadFile(path, "stored vector " + std::to_string(s) + " is not finite or too large" + hint);
    }
  }
  if (options.precision == Precision::Int8) {
    for (size_t s = 0; s < count; ++s, p += dim) std::memcpy(index->i8_.data() + s * index->i8Stride_, p, dim);
    std::memcpy(index->scales_.data(), p, count * 4);
    p += count * 4;
    // |code| ≤ 127 in every dimension: the vector's norm is at most 127 · √dim · scale.
    const double bound = kMaxDotNorm / (127.0 * std::sqrt(static_cast<double>(dim)));
    for (size_t s = 0; s < count; ++s) {
      if (!(index->scales_[s] >= 0 && index->scales_[s] <= bound))
        BadFile(path, "stored scale " + std::to_string(s) + " is not finite or out of range" + hint);
    }
  }
  if (options.precision == Precision::Binary) {
    for (size_t s = 0; s < count; ++s, p += index->bitBytes_)
      std::memcpy(index->bits_.data() + s * index->bitStride_, p, index->bitBytes_);
  }
  return index;
}

}  // namespace sentvec
