// N-API glue of the core Model: loadModel() and the NativeModel class.
#include "../core/model.h"

#include "common.h"

namespace binding {

namespace {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NativeModel",
        {InstanceMethod<&NativeModel::Encode>("encode"), InstanceMethod<&NativeModel::Tokenize>("tokenize"),
         InstanceMethod<&NativeModel::EncodeTokens>("encodeTokens"),
         InstanceMethod<&NativeModel::Vocabulary>("vocabulary"), InstanceMethod<&NativeModel::Dispose>("dispose"),
         InstanceMethod<&NativeModel::Info>("info")});
  }

  explicit NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {}
  void Attach(std::shared_ptr<sentvec::Model> model) { model_ = std::move(model); }

 private:
  std::shared_ptr<sentvec::Model> Live(Napi::Env env) {
    if (!model_) throw MakeError(env, ErrorCode::Disposed, "the model was disposed; load it again");
    return model_;
  }

  // The option encode and encodeTokens share: { batchSize }. Rows come back at the model's full
  // dimension, unnormalized: the cut to `dimensions` and normalization are lib/model/rows.ts's.
  static sentvec::EncodeOptions EncodeOptionsOf(const Napi::Object& opts) {
    sentvec::EncodeOptions options;
    options.batchSize = PositiveInteger(opts, "batchSize", options.batchSize);
    return options;
  }

  // encode(texts, { batchSize, truncate, poolFrom })
  //   → Promise<{ data: Float32Array, truncated: Uint8Array }>
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto model = Live(env);
    auto texts = Texts(info[0]);
    Napi::Object opts = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    sentvec::EncodeOptions options = EncodeOptionsOf(opts);
    options.truncate = Boolean(opts, "truncate", options.truncate);
    // poolFrom: one count for every text (they share the prompt).
    const size_t skip = PositiveInteger(opts, "poolFrom", 0);
    if (skip > 0) options.poolFrom.assign(texts->size(), static_cast<uint32_t>(std::min<size_t>(skip, UINT32_MAX)));
    struct Result {
      std::vector<float> data;
      std::vector<uint8_t> truncated;
    };
    auto result = std::make_shared<Result>();
    const size_t n = texts->size();
    const size_t dim = model->dimension();
    return PromiseWorker::Start(
        env,
        [=] {
          result->data.resize(n * dim);
          result->truncated.resize(n);
          model->Encode(*texts, options, result->data.data(), result->truncated.data());
        },
        [=](Napi::Env env) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("data", Napi::Float32Array::New(env, n * dim, AdoptVector(env, std::move(result->data)), 0));
          out.Set("truncated", Napi::Uint8Array::New(env, n, AdoptVector(env, std::move(result->truncated)), 0));
          return out;
        });
  }

  // encodeTokens(ids: Int32Array, offsets: Uint32Array, { batchSize, poolFrom })
  //   → Promise<Float32Array>:
  // input i is ids[offsets[i] .. offsets[i + 1]], already framed with <s> … </s>.
  Napi::Value EncodeTokens(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto model = Live(env);
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw InvalidArgument(env, "encodeTokens expects an Int32Array of ids and a Uint32Array of offsets");
    }
    auto ids = info[0].As<Napi::Int32Array>();
    auto offsets = info[1].As<Napi::Uint32Array>();
    const size_t n = offsets.ElementLength() > 0 ? offsets.ElementLength() - 1 : 0;
    auto encodings = std::make_shared<std::vector<sentvec::Encoding>>(n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t a = offsets[i], b = offsets[i + 1];
      if (a > b || b > ids.ElementLength()) throw InvalidArgument(env, "offsets are not increasing within the ids");
      (*encodings)[i].ids.assign(ids.Data() + a, ids.Data() + b);
    }
    Napi::Object opts = info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
    sentvec::EncodeOptions options = EncodeOptionsOf(opts);
    // poolFrom: a Uint32Array with one count per input.
    Napi::Value poolFrom = opts.Get("poolFrom");
    if (!poolFrom.IsUndefined()) {
      if (!poolFrom.IsTypedArray() || poolFrom.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
          poolFrom.As<Napi::Uint32Array>().ElementLength() != n)
        throw InvalidArgument(env, "poolFrom must be a Uint32Array with one count per input");
      auto counts = poolFrom.As<Napi::Uint32Array>();
      options.poolFrom.assign(counts.Data(), counts.Data() + n);
    }
    // secondFrom: a Uint32Array with, per input, where its second sequence starts (0: none), for
    // the token types of pairs; the core checks each against its input's length.
    Napi::Value secondFrom = opts.Get("secondFrom");
    if (!secondFrom.IsUndefined()) {
      if (!secondFrom.IsTypedArray() || secondFrom.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
          secondFrom.As<Napi::Uint32Array>().ElementLength() != n)
        throw InvalidArgument(env, "secondFrom must be a Uint32Array with one position per input");
      auto starts = secondFrom.As<Napi::Uint32Array>();
      for (size_t i = 0; i < n; ++i) (*encodings)[i].secondFrom = starts[i];
    }
    const size_t dim = model->dimension();
    auto data = std::make_shared<std::vector<float>>();
    return PromiseWorker::Start(
        env,
        [=] {
          data->resize(n * dim);
          model->EncodeTokens(*encodings, options, data->data());
        },
        [=](Napi::Env env) -> Napi::Value {
          return Napi::Float32Array::New(env, n * dim, AdoptVector(env, std::move(*data)), 0);
        });
  }

  // tokenize(texts, { maxLength, spans, pairs }) → Promise<{ ids, offsets, truncated, spans?, secondFrom? }>:
  // the ids of text i are ids[offsets[i] .. offsets[i + 1]], all in one buffer. With pairs: true,
  // texts[2i] and texts[2i + 1] are one pair, one row of at most maxSeqLength ids, and
  // secondFrom[i] is where its second sequence's token types start (0: all 0).
  Napi::Value Tokenize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto model = Live(env);
    auto texts = Texts(info[0]);
    Napi::Object opts = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    const size_t maxLength = PositiveInteger(opts, "maxLength", 0);
    const bool withSpans = Boolean(opts, "spans", false);
    const bool pairs = Boolean(opts, "pairs", false);
    if (pairs && (withSpans || maxLength > 0))
      throw InvalidArgument(env, "pairs are tokenized to maxSeqLength, without spans");
    if (pairs && texts->size() % 2 != 0) throw InvalidArgument(env, "pairs need an even number of texts");
    struct Result {
      std::vector<int32_t> ids;
      std::vector<uint32_t> offsets;
      std::vector<uint8_t> truncated;
      std::vector<uint32_t> spans;  // per id: [begin, end) in UTF-16 code units of its text
      std::vector<uint32_t> secondFrom;
    };
    auto result = std::make_shared<Result>();
    return PromiseWorker::Start(
        env,
        [=] {
          const auto encodings = pairs ? model->TokenizePairs(*texts) : model->Tokenize(*texts, maxLength, withSpans);
          if (pairs)
            for (const auto& enc : encodings) result->secondFrom.push_back(enc.secondFrom);
          size_t count = 0;
          result->offsets.reserve(encodings.size() + 1);
          result->offsets.push_back(0);
          for (const auto& enc : encodings) {
            count += enc.ids.size();
            result->offsets.push_back(static_cast<uint32_t>(count));
            result->truncated.push_back(enc.truncated ? 1 : 0);
          }
          result->ids.reserve(count);
          for (const auto& enc : encodings) result->ids.insert(result->ids.end(), enc.ids.begin(), enc.ids.end());
          if (withSpans) {
            // JavaScript indexes strings by UTF-16 code unit: one per UTF-8 sequence, two for a
            // four-byte one.
            result->spans.reserve(2 * count);
            std::vector<uint32_t> units;
            std::string scratch;
            for (size_t t = 0; t < encodings.size(); ++t) {
              const std::string_view text = texts->Utf8(t, scratch);
              units.assign(text.size() + 1, 0);
              uint32_t u = 0;
              for (size_t i = 0; i < text.size(); ++i) {
                units[i] = u;
                const auto lead = static_cast<unsigned char>(text[i]);
                if ((lead & 0xC0) != 0x80) u += lead >= 0xF0 ? 2 : 1;
              }
              units[text.size()] = u;
              for (uint32_t byte : encodings[t].spans)
                result->spans.push_back(units[std::min<size_t>(byte, text.size())]);
            }
          }
        },
        [=](Napi::Env env) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          const size_t ids = result->ids.size(), offsets = result->offsets.size(), flags = result->truncated.size();
          out.Set("ids", Napi::Int32Array::New(env, ids, AdoptVector(env, std::move(result->ids)), 0));
          out.Set("offsets", Napi::Uint32Array::New(env, offsets, AdoptVector(env, std::move(result->offsets)), 0));
          out.Set("truncated", Napi::Uint8Array::New(env, flags, AdoptVector(env, std::move(result->truncated)), 0));
          if (pairs) {
            const size_t n = result->secondFrom.size();
            out.Set("secondFrom", Napi::Uint32Array::New(env, n, AdoptVector(env, std::move(result->secondFrom)), 0));
          }
          if (withSpans) {
            const size_t n = result->spans.size();
            out.Set("spans", Napi::Uint32Array::New(env, n, AdoptVector(env, std::move(result->spans)), 0));
          }
          return out;
        });
  }

  // vocabulary() → string[]: token strings by id (synchronous; TypeScript asks once, lazily).
  Napi::Value Vocabulary(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto model = Live(env);
    const auto& tok = model->tokenizer();
    Napi::Array out = Napi::Array::New(env, static_cast<size_t>(tok.vocabSize()));
    for (int32_t id = 0; id < tok.vocabSize(); ++id) out.Set(static_cast<uint32_t>(id), tok.IdToToken(id));
    return out;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto model = Live(env);
    Napi::Object out = Napi::Object::New(env);
    out.Set("dimension", Napi::Number::New(env, static_cast<double>(model->dimension())));
    out.Set("maxSeqLength", Napi::Number::New(env, static_cast<double>(model->maxSeqLength())));
    out.Set("vocabSize", Napi::Number::New(env, model->tokenizer().vocabSize()));
    // The ids that frame inputs (<s> </s> or [CLS] [SEP]), pad them and stand for unknown text.
    const auto special = model->tokenizer().specialIds();
    Napi::Object ids = Napi::Object::New(env);
    ids.Set("start", special.start);
    ids.Set("end", special.end);
    ids.Set("pad", special.pad);
    ids.Set("unknown", special.unknown);
    out.Set("specialIds", ids);
    const auto all = model->tokenizer().specialTokenIds();
    Napi::Array specials = Napi::Array::New(env, all.size());
    for (size_t i = 0; i < all.size(); ++i) specials.Set(static_cast<uint32_t>(i), all[i]);
    out.Set("specialTokenIds", specials);
    out.Set("pairSpecialTokens",
            Napi::Number::New(env, static_cast<double>(model->tokenizer().pairFormat().specials())));
    out.Set("outputName", Napi::String::New(env, model->session().outputName()));
    out.Set("pooledOutput", Napi::Boolean::New(env, model->session().pooled()));
    out.Set("threads", Napi::Number::New(env, model->session().intraOpThreads()));
    out.Set("provider", Napi::String::New(env, model->session().provider()));
    out.Set("fromCache", Napi::Boolean::New(env, model->session().fromCache()));
    Napi::Array warnings = Napi::Array::New(env, model->session().warnings().size());
    for (size_t i = 0; i < model->session().warnings().size(); ++i)
      warnings.Set(static_cast<uint32_t>(i), model->session().warnings()[i]);
    out.Set("providerWarnings", warnings);
    return out;
  }

  // In-flight calls keep their own reference; the memory goes when the last one finishes.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    model_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<sentvec::Model> model_;
};

}  // namespace

// loadModel(config: lib/binding.ts's NativeModelConfig: { onnxPath, tokenizerPath, wordPiece?,
//             maxSeqLength, maxPositions, hiddenSize, doLowerCase, pooling: string[], dense?,
//             scores?, numLabels?,
//             threads, spinning, memoryArena, optimizedCache?, providers, fallback })
//   → Promise<NativeModel>
static Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw InvalidArgument(env, "loadModel expects an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  sentvec::ModelConfig config;
  auto str = [&](const char* key) {
    Napi::Value v = o.Get(key);
    if (!v.IsString()) throw InvalidArgument(env, std::string(key) + " must be a string");
    return v.As<Napi::String>().Utf8Value();
  };
  config.onnxPath = str("onnxPath");
  config.tokenizerPath = str("tokenizerPath");
  config.maxSeqLength = PositiveInteger(o, "maxSeqLength", config.maxSeqLength);
  config.maxPositions = PositiveInteger(o, "maxPositions", 0);
  config.hiddenSize = static_cast<int64_t>(PositiveInteger(o, "hiddenSize", 0));
  config.doLowerCase = Boolean(o, "doLowerCase", false);
  config.scores = Boolean(o, "scores", false);
  config.numLabels = PositiveInteger(o, "numLabels", 0);
  config.session.intraOpThreads = static_cast<int>(PositiveInteger(o, "threads", 0));
  config.session.spinning = Boolean(o, "spinning", true);
  config.session.memoryArena = Boolean(o, "memoryArena", true);
  Napi::Value cache = o.Get("optimizedCache");
  if (cache.IsString()) config.session.optimizedCache = cache.As<Napi::String>().Utf8Value();
  config.session.fallback = Boolean(o, "fallback", false);
  config.session.providers = ProviderRequests(o.Get("providers"));
  // wordPiece: { vocab (tokens joined by "\n", in id order), cleanText, handleChineseChars,
  // stripAccents, lowercase, unkToken, startToken, endToken, padToken, continuingPrefix,
  // maxInputCharsPerWord, specialTokens: string[] }; absent: the SentencePiece model file.
  Napi::Value wp = o.Get("wordPiece");
  if (wp.IsObject()) {
    Napi::Object w = wp.As<Napi::Object>();
    sentvec::WordPieceOptions options;
    Napi::Value vocab = w.Get("vocab");
    if (!vocab.IsString()) throw InvalidArgument(env, "wordPiece.vocab must be a string of tokens joined by newlines");
    const std::string all = vocab.As<Napi::String>().Utf8Value();
    for (size_t from = 0;;) {
      const size_t nl = all.find('\n', from);
      options.vocab.push_back(all.substr(from, nl == std::string::npos ? std::string::npos : nl - from));
      if (nl == std::string::npos) break;
      from = nl + 1;
    }
    options.cleanText = Boolean(w, "cleanText", options.cleanText);
    options.handleChineseChars = Boolean(w, "handleChineseChars", options.handleChineseChars);
    options.stripAccents = Boolean(w, "stripAccents", options.stripAccents);
    options.lowercase = Boolean(w, "lowercase", options.lowercase);
    for (auto [key, field] : {std::pair{"unkToken", &options.unkToken}, std::pair{"startToken", &options.startToken},
                              std::pair{"endToken", &options.endToken}, std::pair{"padToken", &options.padToken},
                              std::pair{"continuingPrefix", &options.continuingPrefix}}) {
      Napi::Value v = w.Get(key);
      if (v.IsUndefined()) continue;
      if (!v.IsString()) throw InvalidArgument(env, std::string("wordPiece.") + key + " must be a string");
      *field = v.As<Napi::String>().Utf8Value();
    }
    options.maxInputCharsPerWord = PositiveInteger(w, "maxInputCharsPerWord", options.maxInputCharsPerWord);
    Napi::Value specials = w.Get("specialTokens");
    if (specials.IsArray()) {
      auto list = specials.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) options.specialTokens.push_back(list.Get(i).ToString().Utf8Value());
    }
    options.doLowerCase = config.doLowerCase;
    config.wordPiece = std::move(options);
  }
  // dense: [{ in, out, weight: Float32Array (out × in), bias?: Float32Array, activation }]
  Napi::Value dense = o.Get("dense");
  if (dense.IsArray()) {
    auto list = dense.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      const std::string where = "dense[" + std::to_string(i) + "]";
      Napi::Value item = list.Get(i);
      if (!item.IsObject()) throw InvalidArgument(env, where + " must be an object");
      Napi::Object d = item.As<Napi::Object>();
      sentvec::DenseLayer layer;
      layer.in = PositiveInteger(d, "in", 0);
      layer.out = PositiveInteger(d, "out", 0);
      auto floats = [&](const char* key, std::vector<float>* to) {
        Napi::Value v = d.Get(key);
        if (v.IsUndefined()) return;
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
          throw InvalidArgument(env, where + "." + key + " must be a Float32Array");
        auto a = v.As<Napi::Float32Array>();
        to->assign(a.Data(), a.Data() + a.ElementLength());
      };
      floats("weight", &layer.weight);
      floats("bias", &layer.bias);
      layer.activation = Named(env, sentvec::kActivations, &sentvec::ActivationInfo::activation,
                               d.Get("activation").ToString().Utf8Value(), where + ".activation");
      // Sizes are the core's check (CheckDense, when the model loads).
      config.dense.push_back(std::move(layer));
    }
  }
  Napi::Value pooling = o.Get("pooling");
  if (pooling.IsArray()) {
    config.pooling.clear();
    auto modes = pooling.As<Napi::Array>();
    for (uint32_t i = 0; i < modes.Length(); ++i) {
      config.pooling.push_back(Named(env, sentvec::kPoolingModes, &sentvec::PoolingModeInfo::mode,
                                     modes.Get(i).ToString().Utf8Value(), "pooling"));
    }
  }
  auto loaded = std::make_shared<std::shared_ptr<sentvec::Model>>();
  return PromiseWorker::Start(
      env, [=] { *loaded = sentvec::Model::Load(config); },
      [=](Napi::Env env) -> Napi::Value {
        auto* data = env.GetInstanceData<AddonData>();
        Napi::Object object = data->modelConstructor.New({});
        NativeModel::Unwrap(object)->Attach(*loaded);
        return object;
      });
}

void InitModel(Napi::Env env, Napi::Object exports, AddonData* data) {
  data->modelConstructor = Napi::Persistent(NativeModel::Define(env));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel));
  exports.Set("poolingModes", Names(env, sentvec::kPoolingModes));
  exports.Set("denseActivations", Names(env, sentvec::kActivations));
}

}  // namespace binding
