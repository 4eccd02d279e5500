// The compressed forms an index stores beside (or instead of) float32 vectors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sentvec {

// Per-vector scalar quantization: v ≈ code × scale with code in [-127, 127]. Writes dim codes to
// `out` and returns the scale (1 for a zero vector).
float QuantizeInt8(const float* v, size_t dim, int8_t* out);

// One bit per dimension, set where v > 0 (bit d of byte d / 8, least significant first); the
// `bytes` of `out` past the last dimension are zero.
void SignBits(const float* v, size_t dim, uint8_t* out, size_t bytes);

}  // namespace sentvec
