#include "system.h"

#include <fstream>
#include <set>
#include <string>
#include <thread>

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
