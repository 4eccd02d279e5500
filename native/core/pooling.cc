#include "pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace sentvec {

void Pool(const float* tokens, const int64_t* mask, size_t batch, size_t seqLength, size_t hidden,
          const std::vector<PoolingMode>& modes, float* const* rows) {
  for (size_t b = 0; b < batch; ++b) {
    const float* item = tokens + b * seqLength * hidden;
    const int64_t* m = mask + b * seqLength;
    float* out = rows[b];
    size_t valid = 0;
    for (size_t t = 0; t < seqLength; ++t) valid += m[t] != 0;
    for (PoolingMode mode : modes) {
      switch (mode) {
        case PoolingMode::Cls:
          std::copy(item, item + hidden, out);
          break;
        case PoolingMode::Max: {
          // Padding never wins: sentence-transformers sets masked positions to -1e9 first.
          std::fill(out, out + hidden, -1e9f);
          for (size_t t = 0; t < seqLength; ++t) {
            if (m[t] == 0) continue;
            const float* row = item + t * hidden;
            for (size_t h = 0; h < hidden; ++h) out[h] = std::max(out[h], row[h]);
          }
          break;
        }
        case PoolingMode::Mean:
        case PoolingMode::MeanSqrtLen: {
          std::fill(out, out + hidden, 0.0f);
          for (size_t t = 0; t < seqLength; ++t) {
            if (m[t] == 0) continue;
            const float* row = item + t * hidden;
            for (size_t h = 0; h < hidden; ++h) out[h] += row[h];
          }
          // sentence-transformers clamps the token count at 1e-9.
          const float count = std::max(static_cast<float>(valid), 1e-9f);
          const float divisor = mode == PoolingMode::Mean ? count : std::sqrt(count);
          for (size_t h = 0; h < hidden; ++h) out[h] /= divisor;
          break;
        }
      }
      out += hidden;
    }
  }
}

void Normalize(float* v, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  // torch.nn.functional.normalize divides by max(norm, 1e-12).
  const double norm = std::max(std::sqrt(sum), 1e-12);
  const float scale = static_cast<float>(1.0 / norm);
  for (size_t i = 0; i < n; ++i) v[i] *= scale;
}

}  // namespace sentvec
