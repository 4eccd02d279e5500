// N-API glue of native/bench: the `bench` export, for bench/ only.
#include "../bench/measure.h"
#include "../core/limits.h"
#include "common.h"

namespace binding {

namespace {

// Argument i as an integer in [1, max].
size_t Count(const Napi::CallbackInfo& info, size_t i, const char* name, double max) {
  const double v = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 0;
  if (!(v >= 1 && v <= max) || v != static_cast<double>(static_cast<int64_t>(v)))
    throw InvalidArgument(info.Env(), std::string(name) + " must be an integer from 1 to " + std::to_string(max));
  return static_cast<size_t>(v);
}

// measureReadBandwidth(bytes, threads) → Promise<number> (GB/s)
Napi::Value MeasureReadBandwidth(const Napi::CallbackInfo& info) {
  const size_t bytes = Count(info, 0, "bytes", 1ull << 40);
  const int threads = static_cast<int>(Count(info, 1, "threads", sentvec::kMaxThreads));
  auto result = std::make_shared<double>(0);
  return PromiseWorker::Start(
      info.Env(), [=] { *result = sentvec::bench::MeasureReadBandwidth(bytes, threads); },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *result); });
}

// measurePooling(batch, seqLength, hidden, rounds) → Promise<number> (GB/s)
Napi::Value MeasurePooling(const Napi::CallbackInfo& info) {
  const size_t batch = Count(info, 0, "batch", 1 << 16);
  const size_t seq = Count(info, 1, "seqLength", 1 << 16);
  const size_t hidden = Count(info, 2, "hidden", 1 << 16);
  const int rounds = static_cast<int>(Count(info, 3, "rounds", 1000));
  auto result = std::make_shared<double>(0);
  return PromiseWorker::Start(
      info.Env(), [=] { *result = sentvec::bench::MeasurePooling(batch, seq, hidden, rounds); },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *result); });
}

}  // namespace

void InitBench(Napi::Env env, Napi::Object exports) {
  Napi::Object bench = Napi::Object::New(env);
  bench.Set("measureReadBandwidth", Napi::Function::New(env, MeasureReadBandwidth));
  bench.Set("measurePooling", Napi::Function::New(env, MeasurePooling));
  exports.Set("bench", bench);
}

}  // namespace binding
