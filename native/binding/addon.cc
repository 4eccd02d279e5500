// The addon's entry point: per-environment data (so worker_threads each get their own) and the
// exports of each part.
#include "../core/system.h"
#include "common.h"
#include "onnxruntime_c_api.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new binding::AddonData();
  env.SetInstanceData(data);  // freed with the environment
  binding::InitErrors(env, exports);
  binding::InitModel(env, exports, data);
  binding::InitIndex(env, exports, data);
  binding::InitProviders(env, exports);
  binding::InitBench(env, exports);
  exports.Set("physicalCores", Napi::Number::New(env, sentvec::PhysicalCores()));
  exports.Set("onnxRuntimeVersion", Napi::String::New(env, OrtGetApiBase()->GetVersionString()));
  return exports;
}

}  // namespace

NODE_API_MODULE(sentvec, Init)
