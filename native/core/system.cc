#include "system.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "parallel.h"

#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace sentvec {

int PhysicalCores() {
  static const int cores = [] {
#if defined(__linux__)
    // One entry per core: the set of logical CPUs that share it.
    std::set<std::string> siblings;
    for (unsigned cpu = 0; cpu < 4096; ++cpu) {
      std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list");
      if (!in) break;
      std::string line;
      std::getline(in, line);
      siblings.insert(line);
    }
    if (!siblings.empty()) return static_cast<int>(siblings.size());
#elif defined(__APPLE__)
    int value = 0;
    size_t size = sizeof(value);
    if (sysctlbyname("hw.physicalcpu", &value, &size, nullptr, 0) == 0 && value > 0) return value;
#endif
    const unsigned logical = std::thread::hardware_concurrency();
    return logical > 0 ? static_cast<int>(logical) : 1;
  }();
  return cores;
}

}  // namespace sentvec

namespace sentvec {

double MeasureReadBandwidth(size_t bytes, int threads) {
  const size_t words = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buffer(words, 1);  // written once, so every page is really there
  const size_t parts = static_cast<size_t>(threads > 0 ? threads : 1);
  std::vector<uint64_t> sums(parts * 8, 0);  // one cache line per thread
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    RunParallel(parts, [&](size_t part) {
      const uint64_t* p = buffer.data() + words * part / parts;
      const uint64_t* end = buffer.data() + words * (part + 1) / parts;
      uint64_t a = 0, b = 0, c = 0, d = 0;
      for (; p + 4 <= end; p += 4) {
        a += p[0];
        b += p[1];
        c += p[2];
        d += p[3];
      }
      sums[part * 8] = a + b + c + d;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(words * sizeof(uint64_t)) / seconds / 1e9);
  }
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  if (total == 0) return 0;  // keeps the sums observable so the loop is not optimized away
  return best;
}

}  // namespace sentvec
