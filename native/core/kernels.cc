#include "kernels.h"

#include <type_traits>

#include "error.h"

#define SIMSIMD_DYNAMIC_DISPATCH 1
#define SIMSIMD_NATIVE_F16 0
#define SIMSIMD_NATIVE_BF16 0
#include "simsimd/simsimd.h"

namespace sentvec {

static_assert(std::is_same_v<Kernel, simsimd_metric_dense_punned_t>, "Kernel must match SimSIMD's signature");

const Kernels& GetKernels() {
  static const Kernels kernels = [] {
    const simsimd_capability_t caps = simsimd_capabilities();
    auto find = [&](simsimd_metric_kind_t kind, simsimd_datatype_t type) {
      simsimd_kernel_punned_t kernel = nullptr;
      simsimd_capability_t used;
      simsimd_find_kernel_punned(kind, type, caps, simsimd_cap_any_k, &kernel, &used);
      if (!kernel) throw Error(ErrorCode::InvalidArgument, "no SimSIMD kernel for this CPU");
      return reinterpret_cast<Kernel>(kernel);
    };
    return Kernels{find(simsimd_metric_dot_k, simsimd_datatype_f32_k),
                   find(simsimd_metric_dot_k, simsimd_datatype_i8_k),
                   find(simsimd_metric_hamming_k, simsimd_datatype_b8_k)};
  }();
  return kernels;
}

}  // namespace sentvec
