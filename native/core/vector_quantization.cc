#include "vector_quantization.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sentvec {

float QuantizeInt8(const float* v, size_t dim, int8_t* out) {
  float maxAbs = 0;
  for (size_t d = 0; d < dim; ++d) maxAbs = std::max(maxAbs, std::fabs(v[d]));
  const float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
  for (size_t d = 0; d < dim; ++d) out[d] = static_cast<int8_t>(std::lrint(v[d] / scale));
  return scale;
}

void SignBits(const float* v, size_t dim, uint8_t* out, size_t bytes) {
  std::memset(out, 0, bytes);
  for (size_t d = 0; d < dim; ++d) {
    if (v[d] > 0) out[d / 8] |= static_cast<uint8_t>(1u << (d % 8));
  }
}

}  // namespace sentvec
