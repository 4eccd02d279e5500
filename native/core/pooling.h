// Sentence pooling of token embeddings (sentence-transformers' Pooling module) and L2
// normalization, written straight into the caller's output rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sentvec {

// In the order sentence-transformers concatenates them when several are enabled.
enum class PoolingMode { Cls, Max, Mean, MeanSqrtLen };

// Every mode with its name (sentence-transformers' pooling_mode_<name>_tokens), in that order: the
// one list the binding parses with and exports as `poolingModes`.
struct PoolingModeInfo {
  PoolingMode mode;
  const char* name;
};
constexpr PoolingModeInfo kPoolingModes[] = {{PoolingMode::Cls, "cls"},
                                             {PoolingMode::Max, "max"},
                                             {PoolingMode::Mean, "mean"},
                                             {PoolingMode::MeanSqrtLen, "mean_sqrt_len"}};

// tokens: batch × seqLength × hidden; mask: batch × seqLength (1 = real token).
// rows[b] receives hidden × modes.size() floats for batch item b.
void Pool(const float* tokens, const int64_t* mask, size_t batch, size_t seqLength, size_t hidden,
          const std::vector<PoolingMode>& modes, float* const* rows);

// Scales `v` to unit length; a zero vector stays zero.
void Normalize(float* v, size_t n);

}  // namespace sentvec
