// The numeric limits every layer shares, each written once. The core enforces them with typed
// errors (it also runs without TypeScript: the fuzzers, the benches); the addon exports them as
// `limits` (binding/addon.cc); lib/validate.ts's RANGES reads them from there. The name lists of
// the same kind sit beside their enums, as kErrorCodes does: kPoolingModes (pooling.h),
// kActivations (dense.h), kMetrics and kPrecisions (index.h), exported as `poolingModes`,
// `denseActivations` (binding/model.cc), `metrics` and `precisions` (binding/index.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sentvec {

// Most threads one model session or index search may use. ONNX Runtime starts its pool when a
// session is created, so thousands of threads made a load take seconds to minutes; no machine this
// runs on gains from more.
constexpr int kMaxThreads = 256;

// The widest vector: an index's dimension, a Dense layer's in and out features.
constexpr size_t kMaxDimension = size_t{1} << 20;

// Results per query: search results carry their counts as uint32.
constexpr size_t kMaxTopK = UINT32_MAX;

// The most tokens one text may be tokenized into when it is split into windows rather than cut
// (Model::Tokenize's maxLength): ids and their row starts are uint32 in the binding.
constexpr size_t kMaxTokenizeLength = size_t{1} << 31;

// With rescoring, candidates kept per result before the exact f32 pass.
constexpr size_t kMaxOversample = 1000;

// metric 'dot': the largest L2 norm a vector or query may have, so that every score
// (|score| ≤ ‖a‖·‖b‖) stays a finite float32: √FLT_MAX / 2.
constexpr double kMaxDotNorm = 9.2e18;

}  // namespace sentvec
