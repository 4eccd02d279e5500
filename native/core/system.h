#pragma once

#include <cstddef>

namespace sentvec {

// Physical cores of this machine (hyper-threads of one core count once); at least 1.
int PhysicalCores();

}  // namespace sentvec

namespace sentvec {

// Memory read bandwidth in GB/s: the best of three passes of `threads` threads summing a buffer
// of `bytes` (which should be much larger than the caches). For benchmarks: it is what a scan of
// stored vectors can reach at most.
double MeasureReadBandwidth(size_t bytes, int threads);

}  // namespace sentvec
