// N-API glue of the core providers: probeProviders() and the `providers` option of loadModel().
#include "common.h"

namespace binding {

std::vector<sentvec::ProviderRequest> ProviderRequests(const Napi::Value& value) {
  std::vector<sentvec::ProviderRequest> requests;
  if (!value.IsArray()) return requests;
  auto list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) throw InvalidArgument(value.Env(), "providers[" + std::to_string(i) + "] must be an object");
    Napi::Object p = item.As<Napi::Object>();
    sentvec::ProviderRequest request;
    request.name = p.Get("name").ToString().Utf8Value();
    Napi::Value options = p.Get("options");
    if (options.IsArray()) {
      auto pairs = options.As<Napi::Array>();
      for (uint32_t k = 0; k < pairs.Length(); ++k) {
        Napi::Value pair = pairs.Get(k);
        if (!pair.IsArray())
          throw InvalidArgument(value.Env(), "providers[" + std::to_string(i) + "].options[" + std::to_string(k) +
                                                 "] must be a [key, value] array");
        auto kv = pair.As<Napi::Array>();
        request.options.emplace_back(kv.Get(0u).ToString().Utf8Value(), kv.Get(1u).ToString().Utf8Value());
      }
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

namespace {

// probeProviders() → Promise<Array<{ name, compiled, usable, reason? }>>
Napi::Value ProbeProviders(const Napi::CallbackInfo& info) {
  auto statuses = std::make_shared<std::vector<sentvec::ProviderStatus>>();
  return PromiseWorker::Start(
      info.Env(), [=] { *statuses = sentvec::ProbeProviders(); },
      [=](Napi::Env env) -> Napi::Value {
        Napi::Array out = Napi::Array::New(env, statuses->size());
        for (size_t i = 0; i < statuses->size(); ++i) {
          const auto& st = (*statuses)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", st.name);
          o.Set("compiled", st.compiled);
          o.Set("usable", st.usable);
          if (!st.reason.empty()) o.Set("reason", st.reason);
          out.Set(static_cast<uint32_t>(i), o);
        }
        return out;
      });
}

}  // namespace

void InitProviders(Napi::Env env, Napi::Object exports) {
  exports.Set("probeProviders", Napi::Function::New(env, ProbeProviders));
}

}  // namespace binding
