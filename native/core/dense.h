// sentence-transformers' Dense module: y = activation(W x + b), applied to pooled vectors before
// normalization (LaBSE, distiluse). Weights come from the module's model.safetensors, read in
// TypeScript; this applies them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sentvec {

enum class Activation { Identity, Tanh, ReLU, Sigmoid, Gelu };

// Every activation with its name: the one list the binding parses with and exports as
// `denseActivations` (lib/model/model-reader.ts maps PyTorch's class names onto these names).
struct ActivationInfo {
  Activation activation;
  const char* name;
};
constexpr ActivationInfo kActivations[] = {{Activation::Identity, "identity"},
                                           {Activation::Tanh, "tanh"},
                                           {Activation::ReLU, "relu"},
                                           {Activation::Sigmoid, "sigmoid"},
                                           {Activation::Gelu, "gelu"}};

struct DenseLayer {
  size_t in = 0, out = 0;
  std::vector<float> weight;  // out × in, row-major (PyTorch's Linear.weight)
  std::vector<float> bias;    // out, or empty
  Activation activation = Activation::Identity;
};

// Checks sizes; throws Error(InvalidArgument) naming `what` when they do not fit.
void CheckDense(const DenseLayer& layer, const std::string& what);

// y[out] = activation(W x + b) for one vector x[in].
void ApplyDense(const DenseLayer& layer, const float* x, float* y);

}  // namespace sentvec
