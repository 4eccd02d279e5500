// N-API glue of the error contract: the codes the core raises, and the factory that turns them
// into lib/errors.ts's classes.
#include "common.h"

namespace binding {

namespace {

// setErrorFactory((code, message, subject) => Error): called once per environment by lib/binding.ts.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw InvalidArgument(env, "setErrorFactory expects a function");
  env.GetInstanceData<AddonData>()->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace

void InitErrors(Napi::Env env, Napi::Object exports) {
  Napi::Array codes = Napi::Array::New(env);
  for (const auto& entry : sentvec::kErrorCodes) codes.Set(codes.Length(), entry.name);
  exports.Set("errorCodes", codes);
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory));
}

}  // namespace binding
