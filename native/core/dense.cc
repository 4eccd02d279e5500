#include "dense.h"

#include <cmath>

#include "error.h"
#include "kernels.h"
#include "limits.h"

namespace sentvec {

void CheckDense(const DenseLayer& layer, const std::string& what) {
  if (layer.in == 0 || layer.out == 0 || layer.in > kMaxDimension || layer.out > kMaxDimension ||
      layer.weight.size() != layer.in * layer.out || (!layer.bias.empty() && layer.bias.size() != layer.out)) {
    throw Error(ErrorCode::InvalidArgument, what + ": the weights do not match " + std::to_string(layer.in) + " → " +
                                                std::to_string(layer.out) + " features");
  }
}

void ApplyDense(const DenseLayer& layer, const float* x, float* y) {
  const Kernels& kernels = GetKernels();
  for (size_t o = 0; o < layer.out; ++o) {
    double d = 0;
    kernels.dotF32(layer.weight.data() + o * layer.in, x, layer.in, &d);
    float v = static_cast<float>(d) + (layer.bias.empty() ? 0.0f : layer.bias[o]);
    switch (layer.activation) {
      case Activation::Identity:
        break;
      case Activation::Tanh:
        v = std::tanh(v);
        break;
      case Activation::ReLU:
        v = v > 0 ? v : 0;
        break;
      case Activation::Sigmoid:
        v = 1.0f / (1.0f + std::exp(-v));
        break;
      case Activation::Gelu:
        v = 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f)));
        break;
    }
    y[o] = v;
  }
}

}  // namespace sentvec
