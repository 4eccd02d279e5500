// N-API glue of the core Index: createIndex(), loadIndex() and the NativeIndex class.
#include "../core/index.h"

#include "common.h"

namespace binding {

namespace {

using sentvec::Index;

// Vectors are copied here, on the JS thread: a buffer shared with the worker could be detached
// (transferred) by the caller while the worker reads it.
std::vector<float> Floats(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw InvalidArgument(value.Env(), std::string(name) + " must be a Float32Array");
  }
  auto array = value.As<Napi::Float32Array>();
  return std::vector<float>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<uint64_t> Ids(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    throw InvalidArgument(value.Env(), std::string(name) + " must be a BigUint64Array");
  }
  auto array = value.As<Napi::TypedArrayOf<uint64_t>>();
  return std::vector<uint64_t>(array.Data(), array.Data() + array.ElementLength());
}

class NativeIndex : public Napi::ObjectWrap<NativeIndex> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeIndex",
                       {InstanceMethod<&NativeIndex::Add>("add"), InstanceMethod<&NativeIndex::Remove>("remove"),
                        InstanceMethod<&NativeIndex::Search>("search"), InstanceMethod<&NativeIndex::Save>("save"),
                        InstanceMethod<&NativeIndex::Info>("info"), InstanceMethod<&NativeIndex::Dispose>("dispose")});
  }

  explicit NativeIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeIndex>(info) {}
  // Raw N-API: during environment teardown the call may fail, and a destructor must not throw.
  ~NativeIndex() override {
    int64_t total;
    if (reported_ != 0) napi_adjust_external_memory(Env(), -reported_, &total);
  }
  void Attach(Napi::Env env, std::shared_ptr<Index> index) {
    index_ = std::move(index);
    Report(env);
  }

 private:
  std::shared_ptr<Index> Live(Napi::Env env) {
    if (!index_) throw MakeError(env, ErrorCode::Disposed, "the index was disposed");
    return index_;
  }

  // Tells V8 how much native memory this object holds, so that garbage collection keeps pace
  // with large indexes that are dropped without dispose().
  void Report(Napi::Env env) {
    const int64_t now = index_ ? static_cast<int64_t>(index_->memoryBytes()) : 0;
    int64_t total;
    if (now != reported_ && napi_adjust_external_memory(env, now - reported_, &total) == napi_ok) reported_ = now;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    index_.reset();
    Report(info.Env());
    return info.Env().Undefined();
  }

  // add(vectors: Float32Array (n × dimension), ids?: BigUint64Array) → Promise<void>
  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto index = Live(env);
    auto vectors = std::make_shared<std::vector<float>>(Floats(info[0], "vectors"));
    if (vectors->size() % index->dimension() != 0) {
      throw InvalidArgument(env, "vectors length is not a multiple of the dimension");
    }
    const size_t n = vectors->size() / index->dimension();
    std::shared_ptr<std::vector<uint64_t>> ids;
    if (!info[1].IsUndefined()) {
      ids = std::make_shared<std::vector<uint64_t>>(Ids(info[1], "ids"));
      if (ids->size() != n) throw InvalidArgument(env, "ids and vectors differ in count");
    }
    Napi::ObjectReference self = Napi::Persistent(Value());
    auto keep = std::make_shared<Napi::ObjectReference>(std::move(self));
    return PromiseWorker::Start(
        env, [=] { index->Add(vectors->data(), n, ids ? ids->data() : nullptr); },
        [this, keep](Napi::Env env) -> Napi::Value {
          Report(env);
          return env.Undefined();
        });
  }

  // remove(ids: BigUint64Array) → Promise<number>
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto index = Live(env);
    auto ids = std::make_shared<std::vector<uint64_t>>(Ids(info[0], "ids"));
    auto removed = std::make_shared<size_t>(0);
    auto keep = std::make_shared<Napi::ObjectReference>(Napi::Persistent(Value()));
    return PromiseWorker::Start(
        env, [=] { *removed = index->Remove(ids->data(), ids->size()); },
        [this, keep, removed](Napi::Env env) -> Napi::Value {
          Report(env);
          return Napi::Number::New(env, static_cast<double>(*removed));
        });
  }

  // search(queries: Float32Array (q × dimension), topK, filter?: { ids?: BigUint64Array, bitmap?: Uint8Array },
  //        oversample?: number)
  //   → Promise<{ ids: BigUint64Array, scores: Float32Array, counts: Uint32Array, slots }>
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto index = Live(env);
    auto queries = std::make_shared<std::vector<float>>(Floats(info[0], "queries"));
    if (queries->size() % index->dimension() != 0) {
      throw InvalidArgument(env, "queries length is not a multiple of the dimension");
    }
    const size_t count = queries->size() / index->dimension();
    const size_t topK = NonNegativeInteger(info[1], "topK");
    std::shared_ptr<sentvec::Filter> filter;
    if (info[2].IsObject()) {
      Napi::Object f = info[2].As<Napi::Object>();
      filter = std::make_shared<sentvec::Filter>();
      if (f.Has("bitmap") && !f.Get("bitmap").IsUndefined()) {
        Napi::Value b = f.Get("bitmap");
        if (!b.IsTypedArray() || b.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
          throw InvalidArgument(env, "filter.bitmap must be a Uint8Array");
        }
        auto bytes = b.As<Napi::Uint8Array>();
        filter->bitmap.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
        filter->useBitmap = true;
      } else {
        filter->ids = Ids(f.Get("ids"), "filter.ids");
      }
    }
    size_t oversample = Index::kDefaultOversample;
    if (info[3].IsNumber()) oversample = NonNegativeInteger(info[3], "oversample");
    auto results = std::make_shared<sentvec::SearchResults>();
    return PromiseWorker::Start(
        env, [=] { *results = index->Search(queries->data(), count, topK, filter.get(), oversample); },
        [=](Napi::Env env) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          // Sizes first: the vectors are moved out below.
          const size_t n = results->ids.size();
          const size_t queries = results->counts.size();
          out.Set("ids", Napi::TypedArrayOf<uint64_t>::New(env, n, AdoptVector(env, std::move(results->ids)), 0,
                                                           napi_biguint64_array));
          out.Set("scores", Napi::Float32Array::New(env, n, AdoptVector(env, std::move(results->scores)), 0));
          out.Set("counts", Napi::Uint32Array::New(env, queries, AdoptVector(env, std::move(results->counts)), 0));
          out.Set("slots", Napi::Number::New(env, static_cast<double>(results->slots)));
          return out;
        });
  }

  // save(path) → Promise<void>
  Napi::Value Save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto index = Live(env);
    if (!info[0].IsString()) throw InvalidArgument(env, "path must be a string");
    auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
    return PromiseWorker::Start(
        env, [=] { index->Save(*path); }, [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto index = Live(env);
    Napi::Object out = Napi::Object::New(env);
    out.Set("size", Napi::Number::New(env, static_cast<double>(index->size())));
    out.Set("dimension", Napi::Number::New(env, static_cast<double>(index->dimension())));
    out.Set("metric", Napi::String::New(env, NameOf(sentvec::kMetrics, &sentvec::MetricInfo::metric, index->metric())));
    out.Set("precision", Napi::String::New(env, NameOf(sentvec::kPrecisions, &sentvec::PrecisionInfo::precision,
                                                       index->precision())));
    out.Set("rescore", Napi::Boolean::New(env, index->precision() != sentvec::Precision::F32 && index->keepsF32()));
    out.Set("threads", Napi::Number::New(env, index->threads()));
    out.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(index->memoryBytes())));
    return out;
  }

  std::shared_ptr<Index> index_;
  int64_t reported_ = 0;
};

Napi::Value Wrap(Napi::Env env, std::shared_ptr<Index> index) {
  Napi::Object object = env.GetInstanceData<AddonData>()->indexConstructor.New({});
  NativeIndex::Unwrap(object)->Attach(env, std::move(index));
  return object;
}

// createIndex({ dimension, metric: 'cosine' | 'dot', precision: 'float32' | 'int8' | 'binary', rescore, threads })
Napi::Value CreateIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw InvalidArgument(env, "createIndex expects an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  sentvec::IndexOptions options;
  options.dimension = PositiveInteger(o, "dimension", 0);
  options.metric =
      Named(env, sentvec::kMetrics, &sentvec::MetricInfo::metric, o.Get("metric").ToString().Utf8Value(), "metric");
  options.precision = Named(env, sentvec::kPrecisions, &sentvec::PrecisionInfo::precision,
                            o.Get("precision").ToString().Utf8Value(), "precision");
  options.rescore = Boolean(o, "rescore", true);
  options.threads = static_cast<int>(PositiveInteger(o, "threads", 0));
  try {
    return Wrap(env, std::make_shared<Index>(options));
  } catch (const Error& e) {
    throw MakeError(env, e.code(), e.what(), e.subject());
  }
}

// loadIndex(path, threads) → Promise<NativeIndex>
Napi::Value LoadIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw InvalidArgument(env, "path must be a string");
  auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
  const int threads = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  auto loaded = std::make_shared<std::shared_ptr<Index>>();
  return PromiseWorker::Start(
      env, [=] { *loaded = Index::Load(*path, threads); },
      [=](Napi::Env env) -> Napi::Value { return Wrap(env, *loaded); });
}

}  // namespace

void InitIndex(Napi::Env env, Napi::Object exports, AddonData* data) {
  data->indexConstructor = Napi::Persistent(NativeIndex::Define(env));
  exports.Set("createIndex", Napi::Function::New(env, CreateIndex));
  exports.Set("loadIndex", Napi::Function::New(env, LoadIndex));
  exports.Set("metrics", Names(env, sentvec::kMetrics));
  exports.Set("precisions", Names(env, sentvec::kPrecisions));
}

}  // namespace binding
