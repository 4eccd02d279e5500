// Measurements for bench/ (the addon's `bench` export): the ceilings that the benchmark tables
// compare sentvec's own throughput with. Not used by the library itself.
#pragma once

#include <cstddef>

namespace sentvec::bench {

// Mean-pooling throughput in GB/s of token embeddings read: the best of `rounds` passes over a
// batch × seqLength × hidden buffer (all tokens valid).
double MeasurePooling(size_t batch, size_t seqLength, size_t hidden, int rounds);

// Memory read bandwidth in GB/s: the best of three passes of `threads` threads summing a buffer
// of `bytes` (which should be much larger than the caches): what a scan of stored vectors can
// reach at most.
double MeasureReadBandwidth(size_t bytes, int threads);

}  // namespace sentvec::bench
