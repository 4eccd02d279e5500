#include "providers.h"

#include <cctype>

#include "onnxruntime_cxx_api.h"
#include "ort_env.h"

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace sentvec {

const ProviderInfo kProviders[5] = {
    {"cpu", "CPUExecutionProvider", ""},
    {"cuda", "CUDAExecutionProvider",
     "place ONNX Runtime's CUDA provider libraries beside sentvec's ONNX Runtime with `sentvec install-cuda --from "
     "<folder>` (a source build: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12) and make CUDA 12 "
     "and cuDNN 9 findable by the dynamic loader"},
    {"tensorrt", "TensorrtExecutionProvider",
     "place the CUDA and TensorRT provider libraries beside sentvec's ONNX Runtime with `sentvec install-cuda --from "
     "<folder>` (a source build: ONNXRUNTIME_NODE_INSTALL=cuda12) and make TensorRT 10 findable by the dynamic "
     "loader"},
    {"coreml", "CoreMLExecutionProvider",
     "CoreML is in ONNX Runtime's macOS builds: run on macOS (onnxruntime-node darwin-arm64)"},
    {"nnapi", "NnapiExecutionProvider", "NNAPI is in ONNX Runtime's Android builds only"},
};

namespace {

std::string Take(OrtStatus* status) {
  if (!status) return {};
  std::string message = Ort::GetApi().GetErrorMessage(status);
  Ort::GetApi().ReleaseStatus(status);
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
  return message.empty() ? "unknown ONNX Runtime error" : message;
}

// A symbol that only some platforms' ONNX Runtime builds export (NNAPI: Android).
void* OrtSymbol(const char* name) {
#if defined(_WIN32)
  (void)name;
  return nullptr;
#else
  void* lib = dlopen("libonnxruntime.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (!lib) lib = dlopen("libonnxruntime.dylib", RTLD_LAZY | RTLD_NOLOAD);
  void* sym = lib ? dlsym(lib, name) : dlsym(RTLD_DEFAULT, name);
  if (lib) dlclose(lib);
  return sym;
#endif
}

}  // namespace

const char* ProviderHint(const std::string& name) {
  for (const auto& p : kProviders) {
    if (name == p.name) return p.hint;
  }
  return "";
}

std::string AppendProvider(OrtSessionOptions* so, const ProviderRequest& request) {
  const OrtApi& api = Ort::GetApi();
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : request.options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  const std::string& name = request.name;
  if (name == "cpu") return {};
  if (name == "cuda") {
    OrtCUDAProviderOptionsV2* options = nullptr;
    std::string error = Take(api.CreateCUDAProviderOptions(&options));
    if (error.empty()) error = Take(api.UpdateCUDAProviderOptions(options, keys.data(), values.data(), keys.size()));
    if (error.empty()) error = Take(api.SessionOptionsAppendExecutionProvider_CUDA_V2(so, options));
    if (options) api.ReleaseCUDAProviderOptions(options);
    return error;
  }
  if (name == "tensorrt") {
    OrtTensorRTProviderOptionsV2* options = nullptr;
    std::string error = Take(api.CreateTensorRTProviderOptions(&options));
    if (error.empty())
      error = Take(api.UpdateTensorRTProviderOptions(options, keys.data(), values.data(), keys.size()));
    if (error.empty()) error = Take(api.SessionOptionsAppendExecutionProvider_TensorRT_V2(so, options));
    if (options) api.ReleaseTensorRTProviderOptions(options);
    return error;
  }
  if (name == "coreml")
    return Take(api.SessionOptionsAppendExecutionProvider(so, "CoreML", keys.data(), values.data(), keys.size()));
  if (name == "nnapi") {
    using AppendNnapi = OrtStatus* (*)(OrtSessionOptions*, uint32_t);
    auto append = reinterpret_cast<AppendNnapi>(OrtSymbol("OrtSessionOptionsAppendExecutionProvider_Nnapi"));
    if (!append) return "this ONNX Runtime library has no NNAPI execution provider";
    uint32_t flags = 0;
    for (const auto& [k, v] : request.options) {
      if (k == "flags") flags = static_cast<uint32_t>(std::stoul(v));
    }
    return Take(append(so, flags));
  }
  return "unknown execution provider '" + name + "'";
}

std::vector<ProviderStatus> ProbeProviders() {
  OrtEnvironment();
  std::vector<std::string> compiled;
  try {
    compiled = Ort::GetAvailableProviders();
  } catch (const Ort::Exception&) {
  }
  std::vector<ProviderStatus> out;
  for (const auto& p : kProviders) {
    ProviderStatus status;
    status.name = p.name;
    for (const auto& c : compiled) status.compiled = status.compiled || c == p.ortName;
    Ort::SessionOptions so;
    const std::string error = AppendProvider(so, ProviderRequest{p.name, {}});
    status.usable = error.empty();
    if (!status.usable) status.reason = error + "; " + p.hint;
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace sentvec
