// The similarity kernels a search runs: SimSIMD's dot products and Hamming distance, chosen once
// at run time for the best instruction set this CPU has (one binary serves every x64 / arm64 CPU).
#pragma once

#include <cstddef>

namespace sentvec {

// SimSIMD's dense-metric signature: (a, b, length, result). Lengths count elements; for hamming,
// bytes.
using Kernel = void (*)(const void* a, const void* b, unsigned long long length, double* result);

struct Kernels {
  Kernel dotF32;
  Kernel dotI8;
  Kernel hamming;
};

// The kernels for this CPU (chosen on the first call; thread-safe).
const Kernels& GetKernels();

}  // namespace sentvec
