// The addon's entry point: per-environment data (so worker_threads each get their own) and the
// exports of each part.
#include "../core/pooling.h"
#include "../core/system.h"
#include "common.h"

namespace {

// measureReadBandwidth(bytes, threads) → Promise<number> (GB/s); for benchmarks.
Napi::Value MeasureReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto bytes = static_cast<size_t>(info[0].ToNumber().Int64Value());
  const int threads = info[1].ToNumber().Int32Value();
  auto result = std::make_shared<double>(0);
  return binding::PromiseWorker::Start(
      env, [=] { *result = sentvec::MeasureReadBandwidth(bytes, threads); },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *result); });
}

// measurePooling(batch, seqLength, hidden, rounds) → Promise<number> (GB/s); for benchmarks.
Napi::Value MeasurePooling(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto batch = static_cast<size_t>(info[0].ToNumber().Int64Value());
  const auto seq = static_cast<size_t>(info[1].ToNumber().Int64Value());
  const auto hidden = static_cast<size_t>(info[2].ToNumber().Int64Value());
  const int rounds = info[3].ToNumber().Int32Value();
  auto result = std::make_shared<double>(0);
  return binding::PromiseWorker::Start(
      env, [=] { *result = sentvec::MeasurePooling(batch, seq, hidden, rounds); },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *result); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new binding::AddonData();
  env.SetInstanceData(data);  // freed with the environment
  binding::InitModel(env, exports, data);
  binding::InitIndex(env, exports, data);
  exports.Set("physicalCores", Napi::Number::New(env, sentvec::PhysicalCores()));
  exports.Set("measureReadBandwidth", Napi::Function::New(env, MeasureReadBandwidth));
  exports.Set("measurePooling", Napi::Function::New(env, MeasurePooling));
  return exports;
}

}  // namespace

NODE_API_MODULE(sentvec, Init)
