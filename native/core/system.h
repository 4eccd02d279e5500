#pragma once

#include <cstddef>

namespace sentvec {

// Most threads one model session or index search may use. ONNX Runtime starts its pool when a
// session is created, so thousands of threads made a load take seconds to minutes; no machine this
// runs on gains from more.
constexpr int kMaxThreads = 256;

// Physical cores of this machine (hyper-threads of one core count once); at least 1.
int PhysicalCores();

}  // namespace sentvec
