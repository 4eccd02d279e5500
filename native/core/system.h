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

namespace sentvec {

// Memory read bandwidth in GB/s: the best of three passes of `threads` threads summing a buffer
// of `bytes` (which should be much larger than the caches). For benchmarks: it is what a scan of
// stored vectors can reach at most.
double MeasureReadBandwidth(size_t bytes, int threads);

}  // namespace sentvec
