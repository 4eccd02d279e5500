// Shared pieces of the N-API glue: it converts arguments on the JS thread, runs every core call
// on a libuv worker thread and settles a Promise with the result. No core exception reaches
// N-API: workers catch them all.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.h"

namespace binding {

using sentvec::Error;
using sentvec::ErrorCode;

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference indexConstructor;
};

// Runs `work` off the JS thread, then `done` on it; failures reject with { code, message, file }.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Start(Napi::Env env, Work work, Done done) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
    auto promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const Error& e) {
      code_ = sentvec::ErrorCodeName(e.code());
      file_ = e.file();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "ERR_OUT_OF_MEMORY";
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = "ERR_INTERNAL";
      SetError(e.what());
    } catch (...) {
      code_ = "ERR_INTERNAL";
      SetError("unknown native error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& error) override {
    Napi::Object err = error.Value();
    err.Set("code", Napi::String::New(Env(), code_));
    if (!file_.empty()) err.Set("file", Napi::String::New(Env(), file_));
    deferred_.Reject(err);
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "sentvec"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::string code_ = "ERR_INTERNAL";
  std::string file_;
};

inline Napi::Error TypedError(Napi::Env env, const char* code, const std::string& message) {
  auto err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// The arguments are checked in TypeScript; these checks keep a misuse of the raw binding from
// reaching the core.
inline std::vector<std::string> Texts(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw TypedError(env, "ERR_INVALID_ARG", "texts must be an array of strings");
  auto array = value.As<Napi::Array>();
  std::vector<std::string> texts;
  texts.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) {
      throw TypedError(env, "ERR_INVALID_ARG", "texts[" + std::to_string(i) + "] is not a string");
    }
    texts.push_back(item.As<Napi::String>().Utf8Value());
  }
  return texts;
}

inline size_t PositiveInteger(const Napi::Object& options, const char* key, size_t fallback) {
  Napi::Value v = options.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw TypedError(options.Env(), "ERR_INVALID_ARG", std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw TypedError(options.Env(), "ERR_INVALID_ARG", std::string(key) + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

inline bool Boolean(const Napi::Object& options, const char* key, bool fallback) {
  Napi::Value v = options.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

// Hands a vector's memory to a JS ArrayBuffer without copying it.
template <typename T>
Napi::ArrayBuffer AdoptVector(Napi::Env env, std::vector<T>&& data) {
  auto* owner = new std::vector<T>(std::move(data));
  if (owner->empty()) {
    delete owner;
    return Napi::ArrayBuffer::New(env, 0);
  }
  return Napi::ArrayBuffer::New(env, owner->data(), owner->size() * sizeof(T),
                                [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owner);
}

void InitModel(Napi::Env env, Napi::Object exports, AddonData* data);
void InitIndex(Napi::Env env, Napi::Object exports, AddonData* data);

}  // namespace binding
