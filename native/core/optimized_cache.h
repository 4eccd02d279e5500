// The optimized-model cache (SessionOptions::optimizedCache): one file per model, in ONNX
// Runtime's format, that sentvec seals when it saves and checks before it runs it.
//
// Rules, so that nothing but what this user's sentvec wrote is ever run:
// - The folder must belong to this user (or root) and be writable by no one else, as ssh asks of
//   ~/.ssh; otherwise another user could place a model there. It is checked once, through an open
//   handle that later reads and renames go through, so it cannot be swapped in between.
// - An entry is opened as a regular file only (no link, FIFO or device), must belong to this user
//   (or root) and be writable by no one else, and ends with a trailer: the model's length and an
//   XXH3-128 hash of the entry's name and the model's bytes. A damaged entry, a half-written one,
//   or one copied under another entry's name fails the check and is rebuilt.
// - The bytes are read into memory this process owns and checked there: the model runs on exactly
//   the bytes that were checked, and truncating or rewriting the file afterwards changes nothing.
//
// On Windows the cache is not used (no folder check is made there): loads go the usual way.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace sentvec {

// An entry's model bytes, checked, in a buffer of their own.
class CachedModel {
 public:
  ~CachedModel();
  CachedModel(const CachedModel&) = delete;
  CachedModel& operator=(const CachedModel&) = delete;
  const void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  friend class OptimizedCache;
  CachedModel() = default;
  void* data_ = nullptr;
  size_t size_ = 0;
};

class OptimizedCache {
 public:
  // Opens the folder of `entry` (a file path). Null where there is no usable folder (missing, not
  // a folder, unreadable; Windows): the load goes on without the cache. Throws
  // Error(InvalidArgument) naming the folder when it belongs to another user or others may write
  // to it.
  static std::unique_ptr<OptimizedCache> Open(const std::string& entry);
  ~OptimizedCache();
  OptimizedCache(const OptimizedCache&) = delete;
  OptimizedCache& operator=(const OptimizedCache&) = delete;

  // The entry's model when sentvec wrote it and it is intact; else null (rebuild it).
  std::unique_ptr<CachedModel> Read() const;
  // A fresh path in the folder for ONNX Runtime to save the optimized model to.
  std::string TemporaryPath() const;
  // Seals the model saved at `temporary` (TemporaryPath()) and renames it over the entry. A
  // failure removes it and returns false: the cache stays as it was.
  bool Commit(const std::string& temporary) const;

 private:
  OptimizedCache() = default;
  int folder_ = -1;
  std::string folderPath_;
  std::string name_;
};

}  // namespace sentvec
