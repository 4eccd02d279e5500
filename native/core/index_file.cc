// The index file format (version 2), read and written by Index::Save / Load / FromBytes.
//
// A 64-byte little-endian header — magic "SVINDEX\0", version u32, header bytes u32 (64),
// dimension u32, metric u32, precision u32, id width u32 (8), count u64, flags u32, reserved u32,
// next automatic id u64, payload bytes u64 — then the payload: ids (count × u64); f32 vectors
// (count × dimension × f32) when flag 1 is set; int8 codes (count × dimension) then scales
// (count × f32) for precision int8; sign bits (count × ⌈dimension / 8⌉ bytes) for binary; and last
// an XXH3-64 checksum of everything before it.
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

#include "atomic_file.h"
#include "error.h"
#include "index.h"

#define XXH_INLINE_ALL
#include "xxhash.h"

namespace sentvec {

namespace {

constexpr char kMagic[8] = {'S', 'V', 'I', 'N', 'D', 'E', 'X', '\0'};
constexpr uint32_t kFormatVersion = 2;
// Header flags.
constexpr uint32_t kFlagF32 = 1;           // f32 vectors are stored (int8 / binary: for rescoring)
constexpr uint32_t kFlagIdsExhausted = 2;  // id 2^64 − 1 was given: no automatic id is left (version 2)
constexpr size_t kHeaderBytes = 64;

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

  WriteFileAtomically(path, out);
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
