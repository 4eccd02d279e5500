// The addon's entry point: per-environment data (so worker_threads each get their own) and the
// exports of each part.
#include "../core/limits.h"
#include "../core/system.h"
#include "common.h"
#include "onnxruntime_c_api.h"

namespace {

// The core's limits (limits.h), which lib/validate.ts's RANGES reads rather than repeats.
Napi::Object Limits(Napi::Env env) {
  Napi::Object limits = Napi::Object::New(env);
  limits.Set("maxThreads", Napi::Number::New(env, sentvec::kMaxThreads));
  limits.Set("maxDimension", Napi::Number::New(env, static_cast<double>(sentvec::kMaxDimension)));
  limits.Set("maxTopK", Napi::Number::New(env, static_cast<double>(sentvec::kMaxTopK)));
  limits.Set("maxTokenizeLength", Napi::Number::New(env, static_cast<double>(sentvec::kMaxTokenizeLength)));
  limits.Set("maxOversample", Napi::Number::New(env, static_cast<double>(sentvec::kMaxOversample)));
  limits.Set("maxDotNorm", Napi::Number::New(env, sentvec::kMaxDotNorm));
  return limits;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new binding::AddonData();
  env.SetInstanceData(data);  // freed with the environment
  binding::InitErrors(env, exports);
  binding::InitModel(env, exports, data);
  binding::InitIndex(env, exports, data);
  binding::InitProviders(env, exports);
  binding::InitBench(env, exports);
  exports.Set("limits", Limits(env));
  exports.Set("physicalCores", Napi::Number::New(env, sentvec::PhysicalCores()));
  exports.Set("onnxRuntimeVersion", Napi::String::New(env, OrtGetApiBase()->GetVersionString()));
  return exports;
}

}  // namespace

NODE_API_MODULE(sentvec, Init)
