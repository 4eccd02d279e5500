// A growable buffer whose rows start on 64-byte (cache-line) boundaries, for stored vectors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(_WIN32)
#include <malloc.h>
#endif

namespace sentvec {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { Free(data_); }

  // Keeps the first min(old, new) elements; new ones are zero.
  void resize(size_t count) {
    if (count > capacity_) {
      const size_t capacity = std::max(count, capacity_ + capacity_ / 2);
      const size_t bytes = (std::max<size_t>(capacity * sizeof(T), 64) + 63) / 64 * 64;
      void* fresh = nullptr;
#if defined(_WIN32)
      fresh = _aligned_malloc(bytes, 64);
#else
      if (posix_memalign(&fresh, 64, bytes) != 0) fresh = nullptr;
#endif
      if (!fresh) throw std::bad_alloc();
      if (data_) std::memcpy(fresh, data_, size_ * sizeof(T));
      Free(data_);
      data_ = static_cast<T*>(fresh);
      capacity_ = bytes / sizeof(T);
    }
    if (count > size_) std::memset(static_cast<void*>(data_ + size_), 0, (count - size_) * sizeof(T));
    size_ = count;
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  // Windows' aligned allocations have their own free.
  static void Free(T* p) {
#if defined(_WIN32)
    _aligned_free(p);
#else
    std::free(p);
#endif
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace sentvec
