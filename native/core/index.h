// Exact top-k search over a fixed-dimension collection of vectors, with f32, int8 and binary
// storage. Dot products come from SimSIMD, dispatched at run time to the best kernel this CPU
// has. Searches may run concurrently with each other; add/remove wait for running searches and
// searches wait for them, so every search sees the index wholly before or wholly after a change.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "aligned_buffer.h"
#include "limits.h"

namespace sentvec {

enum class Metric : uint32_t { Cosine = 0, Dot = 1 };
enum class Precision : uint32_t { F32 = 0, Int8 = 1, Binary = 2 };

// Every metric and precision with its name: the lists the binding parses with, names in info()
// and exports as `metrics` and `precisions`.
struct MetricInfo {
  Metric metric;
  const char* name;
};
constexpr MetricInfo kMetrics[] = {{Metric::Cosine, "cosine"}, {Metric::Dot, "dot"}};
struct PrecisionInfo {
  Precision precision;
  const char* name;
};
constexpr PrecisionInfo kPrecisions[] = {
    {Precision::F32, "float32"}, {Precision::Int8, "int8"}, {Precision::Binary, "binary"}};

struct IndexOptions {
  size_t dimension = 0;
  Metric metric = Metric::Cosine;
  Precision precision = Precision::F32;
  // int8 / binary: keep the f32 vectors too, and rescore the best candidates exactly.
  bool rescore = true;
  int threads = 0;  // 0: the machine's physical cores
};

// Restricts a search: ids (any not in the index are ignored) or a bitmap over ids
// (bit i of byte i / 8, least significant first).
struct Filter {
  std::vector<uint64_t> ids;
  std::vector<uint8_t> bitmap;
  bool useBitmap = false;
};

struct SearchResults {
  size_t slots = 0;              // per query: topK, or fewer when there are fewer candidates
  std::vector<uint64_t> ids;     // queries × slots
  std::vector<float> scores;     // queries × slots
  std::vector<uint32_t> counts;  // valid results per query (≤ slots)
};

class Index {
 public:
  explicit Index(const IndexOptions& options);

  // Adds n vectors (row-major, n × dimension). ids may be null: then ids continue from the
  // largest id ever given + 1 (0, 1, 2, … for an index that only gets automatic ids), so they
  // never collide; once id 2^64 − 1 has been given, automatic ids are used up and only explicit
  // ids can be added. All or nothing: a NaN/Inf value, a norm too large for metric 'dot' or a
  // duplicate id rejects the whole call.
  void Add(const float* vectors, size_t n, const uint64_t* ids);
  // Removes the vectors with these ids; returns how many were present.
  size_t Remove(const uint64_t* ids, size_t n);
  // topK: results per query, 1 to kMaxTopK (at most the candidates there are: results are sized by
  // that, not by topK). oversample: with rescoring, candidates kept per result before the exact f32
  // pass, 1 to kMaxOversample (limits.h).
  SearchResults Search(const float* queries, size_t queryCount, size_t topK, const Filter* filter,
                       size_t oversample = kDefaultOversample) const;
  static constexpr size_t kDefaultOversample = 10;

  // The file format and its checks are in index_file.cc.
  // Atomic: the file at `path` is the old index or the new one, never a mix. A save that is
  // killed can leave a `<path>.tmp-*` file beside it; the next save of that path removes it.
  void Save(const std::string& path) const;
  static std::unique_ptr<Index> Load(const std::string& path, int threads);
  // The same from the file's bytes; `path` only names it in errors. (The fuzzer's entry point.)
  static std::unique_ptr<Index> FromBytes(const std::string& data, const std::string& path, int threads);

  size_t size() const;
  size_t dimension() const { return options_.dimension; }
  Metric metric() const { return options_.metric; }
  Precision precision() const { return options_.precision; }
  bool keepsF32() const { return keepF32_; }
  int threads() const { return threads_; }
  // Bytes of vector storage (excluding ids).
  size_t memoryBytes() const;

 private:
  void Reserve(size_t count);
  void Encode(const float* vector, size_t slot, std::vector<float>& tmp);
  void CheckVectors(const float* vectors, size_t n, const char* what) const;
  std::vector<uint32_t> Candidates(const Filter* filter) const;

  IndexOptions options_;
  int threads_;
  bool keepF32_;
  size_t f32Stride_, i8Stride_, bitBytes_, bitStride_;
  mutable std::shared_mutex mutex_;
  std::vector<uint64_t> ids_;
  std::unordered_map<uint64_t, uint32_t> slots_;
  uint64_t nextId_ = 0;        // the next automatic id: above every id ever given
  bool idsExhausted_ = false;  // id 2^64 − 1 was given: no automatic id is left
  AlignedBuffer<float> f32_;
  AlignedBuffer<int8_t> i8_;
  std::vector<float> scales_;
  AlignedBuffer<uint8_t> bits_;
};

}  // namespace sentvec
