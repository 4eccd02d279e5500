// Runs fn(part) for part in [0, parts) on `parts` threads, the calling thread included, and
// rethrows the first exception. Threads are started per call: searches are long enough that this
// costs nothing measurable, and no pool outlives the addon.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace sentvec {

inline void RunParallel(size_t parts, const std::function<void(size_t)>& fn) {
  if (parts <= 1) {
    if (parts == 1) fn(0);
    return;
  }
  std::exception_ptr error;
  std::mutex errorMutex;
  auto guarded = [&](size_t part) {
    try {
      fn(part);
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(parts - 1);
  size_t started = 1;
  try {
    for (; started < parts; ++started) threads.emplace_back(guarded, started);
  } catch (const std::system_error&) {
    // The system refused another thread: this one does the remaining parts itself.
  }
  for (size_t p = started; p < parts; ++p) guarded(p);
  guarded(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace sentvec
