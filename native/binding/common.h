// Shared pieces of the N-API glue: it converts arguments on the JS thread, runs every core call
// on a libuv worker thread and settles a Promise with the result. No core exception reaches
// N-API: workers catch them all.
#pragma once

#include <napi.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/providers.h"
#include "../core/texts.h"

namespace binding {

using sentvec::Error;
using sentvec::ErrorCode;

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference indexConstructor;
  // lib/errors.ts's createError(code, message, subject), registered by setErrorFactory().
  Napi::FunctionReference errorFactory;
};

// The error to throw or reject with: the class lib/errors.ts has for `code` (through the factory),
// or — for a raw addon whose factory is not set, or while the environment is torn down — a plain
// Error with `code` and `subject` properties.
inline Napi::Error MakeError(Napi::Env env, ErrorCode code, const std::string& message,
                             const std::string& subject = {}) {
  auto* data = env.GetInstanceData<AddonData>();
  if (data && !data->errorFactory.IsEmpty()) {
    try {
      Napi::Value made = data->errorFactory.Call({Napi::String::New(env, sentvec::ErrorCodeName(code)),
                                                  Napi::String::New(env, message), Napi::String::New(env, subject)});
      if (made.IsObject()) return Napi::Error(env, made);
    } catch (const Napi::Error&) {
      // The factory failed: the plain error below still carries the code and message.
    }
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, sentvec::ErrorCodeName(code)));
  if (!subject.empty()) err.Set("subject", Napi::String::New(env, subject));
  return err;
}

// Runs `work` off the JS thread, then `done` on it; failures reject with MakeError's error.
//
// Completion must survive the environment going away: when a worker_threads worker is
// terminated (or calls process.exit()) with work in flight, Node completes that work during
// teardown, where JavaScript can no longer run and every N-API call may fail (node-addon-api
// then throws). Nobody can observe the promise any more, so such a failure is dropped; the worker
// is freed either way, and what `work` and `done` captured (shared_ptrs to core objects) lives
// until then.
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
      Fail(e.code(), e.what(), e.subject());
    } catch (const std::bad_alloc&) {
      Fail(ErrorCode::OutOfMemory, "out of memory");
    } catch (const std::exception& e) {
      Fail(ErrorCode::Internal, e.what());
    } catch (...) {
      Fail(ErrorCode::Internal, "unknown native error");
    }
  }

  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) {
      try {
        Napi::HandleScope scope(env);
        Settle(env);
      } catch (...) {
        // The environment is being torn down (see above).
      }
    }
    Destroy();
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env, "sentvec"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)) {}

  void Fail(ErrorCode code, const std::string& message, const std::string& subject = {}) {
    failed_ = true;
    code_ = code;
    message_ = message;
    subject_ = subject;
  }

  void Settle(Napi::Env env) {
    if (failed_) {
      deferred_.Reject(MakeError(env, code_, message_, subject_).Value());
      return;
    }
    Napi::Value value;
    try {
      value = done_(env);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
      return;
    } catch (const std::exception& e) {
      const bool oom = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
      deferred_.Reject(MakeError(env, oom ? ErrorCode::OutOfMemory : ErrorCode::Internal, e.what()).Value());
      return;
    }
    deferred_.Resolve(value);
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  bool failed_ = false;
  ErrorCode code_ = ErrorCode::Internal;
  std::string message_;
  std::string subject_;
};

inline Napi::Error InvalidArgument(Napi::Env env, const std::string& message) {
  return MakeError(env, ErrorCode::InvalidArgument, message);
}

// Texts as JavaScript holds them, UTF-16: the JS thread only copies them (String::Write: a memcpy
// or, for a Latin-1 string, a widening one), and the core makes each UTF-8 on the thread that
// tokenizes it. (napi_get_value_string_utf8 measured and transcoded them here: half the JS
// thread's time in a tokenize call of 3,000 lines.) A UTF-16 copy takes two bytes a character
// where UTF-8 takes one for Latin scripts, so a call copies at most kUtf16Units that way; the
// texts past them are copied in UTF-8 here, as before, and a call needs at most 2 × kUtf16Units
// bytes more than it did. The arguments are checked in TypeScript; these checks keep a misuse of
// the raw binding from reaching the core.
constexpr size_t kUtf16Units = size_t{1} << 24;

inline std::shared_ptr<sentvec::Utf16Texts> Texts(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw InvalidArgument(env, "texts must be an array of strings");
  auto array = value.As<Napi::Array>();
  // node-addon-api would make a bad_alloc a plain Error; this one says what to do.
  const size_t count = array.Length();
  size_t units = 0;
  bool read = false;
  const auto outOfMemory = [&] {
    return MakeError(env, ErrorCode::OutOfMemory,
                     "the texts (" + std::to_string(count) + " of them, " + (read ? "" : "at least ") +
                         std::to_string(units) + " UTF-16 code units) do not fit in memory; pass fewer at a time");
  };
  try {
    // Grown as the items prove to be strings: a sparse array's length says nothing of its size.
    std::vector<napi_value> items;
    std::vector<size_t> lengths;   // of each text
    std::vector<size_t> inBuffer;  // of each text copied as UTF-16, else 0
    size_t buffered = 0;
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value item = array.Get(i);
      if (!item.IsString()) throw InvalidArgument(env, "texts[" + std::to_string(i) + "] is not a string");
      size_t length = 0;
      NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf16(env, item, nullptr, 0, &length), nullptr);
      units += length;
      const bool utf16 = length <= kUtf16Units - buffered;
      if (utf16) buffered += length;
      items.push_back(item);
      lengths.push_back(length);
      inBuffer.push_back(utf16 ? length : 0);
    }
    read = true;
    auto texts = std::make_shared<sentvec::Utf16Texts>(inBuffer);
    for (size_t i = 0; i < items.size(); ++i) {
      if (inBuffer[i] != lengths[i]) {
        texts->SetUtf8(i, Napi::String(env, items[i]).Utf8Value());
        continue;
      }
      size_t copied = 0;  // = lengths[i]: strings are immutable
      NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf16(env, items[i], texts->units(i), lengths[i] + 1, &copied),
                           nullptr);
    }
    return texts;
  } catch (const std::bad_alloc&) {
    throw outOfMemory();
  }
}

// A JavaScript number as a count: a non-negative integer no larger than 2^53, so that the
// conversion is exact. Ranges are the core's checks (limits.h), not repeated here.
inline size_t NonNegativeInteger(const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) throw InvalidArgument(v.Env(), name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740992.0 || d != std::floor(d)) {
    throw InvalidArgument(v.Env(), name + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

inline size_t PositiveInteger(const Napi::Object& options, const char* key, size_t fallback) {
  Napi::Value v = options.Get(key);
  return v.IsUndefined() ? fallback : NonNegativeInteger(v, key);
}

// The value a core name list (kPoolingModes, kActivations, kMetrics, kPrecisions) gives `name`.
template <typename Info, size_t N, typename Value>
Value Named(Napi::Env env, const Info (&list)[N], Value Info::*field, const std::string& name,
            const std::string& what) {
  std::string names;
  for (const Info& entry : list) {
    if (name == entry.name) return entry.*field;
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw InvalidArgument(env, what + " " + name + " is not one of " + names);
}

// The name a core name list gives `value`.
template <typename Info, size_t N, typename Value>
const char* NameOf(const Info (&list)[N], Value Info::*field, Value value) {
  for (const Info& entry : list) {
    if (entry.*field == value) return entry.name;
  }
  return "";
}

// A core name list as a JavaScript array, in its order.
template <typename Info, size_t N>
Napi::Array Names(Napi::Env env, const Info (&list)[N]) {
  Napi::Array names = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) names.Set(static_cast<uint32_t>(i), list[i].name);
  return names;
}

inline bool Boolean(const Napi::Object& options, const char* key, bool fallback) {
  Napi::Value v = options.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

// Hands a vector's memory to a JS ArrayBuffer without copying it. Every result buffer goes
// through here. When Node refuses the buffer (longer than it allows, or out of memory) it may
// already have run the finalizer — and so freed the memory — before it returns the failure: the
// finalizer records that it ran, so nothing is freed twice, and the caller gets a typed error.
template <typename T>
Napi::ArrayBuffer AdoptVector(Napi::Env env, std::vector<T>&& data) {
  if (data.empty()) return Napi::ArrayBuffer::New(env, 0);
  struct Owner {
    std::vector<T> data;
    bool* finalized;
  };
  bool finalized = false;
  auto* owner = new Owner{std::move(data), &finalized};
  const size_t bytes = owner->data.size() * sizeof(T);
  napi_value value = nullptr;
  const napi_status status = napi_create_external_arraybuffer(
      env, owner->data.data(), bytes,
      [](napi_env, void*, void* hint) {
        auto* o = static_cast<Owner*>(hint);
        if (o->finalized) *o->finalized = true;
        delete o;
      },
      owner, &value);
  if (status != napi_ok) {
    if (!finalized) delete owner;
    napi_value pending;
    napi_get_and_clear_last_exception(env, &pending);  // ours replaces Node's
    throw MakeError(env, ErrorCode::OutOfMemory,
                    "a result of " + std::to_string(bytes) + " bytes cannot be handed to JavaScript (larger than " +
                        "this Node.js allows, or out of memory); ask for fewer results per call");
  }
  owner->finalized = nullptr;
  return Napi::ArrayBuffer(env, value);
}

// The `providers` option of loadModel(): [{ name, options: [[key, value], …] }, …].
std::vector<sentvec::ProviderRequest> ProviderRequests(const Napi::Value& value);

// Each part's exports: model.cc, index.cc, providers.cc, errors.cc, bench.cc.
void InitModel(Napi::Env env, Napi::Object exports, AddonData* data);
void InitIndex(Napi::Env env, Napi::Object exports, AddonData* data);
void InitProviders(Napi::Env env, Napi::Object exports);
void InitErrors(Napi::Env env, Napi::Object exports);
void InitBench(Napi::Env env, Napi::Object exports);

}  // namespace binding
