#include "session.h"

#include <cstdio>
#include <fstream>
#include <mutex>

#include "error.h"
#include "limits.h"
#include "onnxruntime_cxx_api.h"
#include "optimized_cache.h"
#include "ort_env.h"
#include "providers.h"
#include "system.h"

namespace sentvec {

namespace {

enum class Feed { InputIds, AttentionMask, TokenTypeIds };

class OrtOutput : public SessionOutput {
 public:
  OrtOutput(Ort::Value value, size_t width) : value_(std::move(value)), width_(width) {}
  const float* data() const override { return value_.GetTensorData<float>(); }
  size_t width() const override { return width_; }

 private:
  Ort::Value value_;
  size_t width_;
};

// A half-precision output (a model_fp16.onnx export) widened once, so pooling reads float32.
class WidenedOutput : public SessionOutput {
 public:
  WidenedOutput(const Ort::Value& value, size_t count, size_t width) : data_(count), width_(width) {
    const Ort::Float16_t* half = value.GetTensorData<Ort::Float16_t>();
    for (size_t i = 0; i < count; ++i) data_[i] = half[i].ToFloat();
  }
  const float* data() const override { return data_.data(); }
  size_t width() const override { return width_; }

 private:
  std::vector<float> data_;
  size_t width_;
};

// The inputs the export declares, in its order, and what sentvec feeds each.
struct Inputs {
  std::vector<std::string> names;
  std::vector<Feed> feeds;
  std::vector<ONNXTensorElementDataType> types;
};

// The output sentvec reads: pooled (batch × hidden) or token embeddings (batch × tokens × hidden).
struct Output {
  std::string name;
  bool half = false;
  bool pooled = false;
  int64_t hidden = -1;
};

// An ONNX Runtime session and, when it runs from the optimized cache, the bytes it runs on.
struct Opened {
  // Declared first, so destroyed last: a session from the cache runs on these bytes.
  std::unique_ptr<CachedModel> cached;
  std::unique_ptr<Ort::Session> session;
  bool fromCache = false;
};

// A missing or empty file gets a message that says which file sentvec expected.
void CheckModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw Error(ErrorCode::ModelFile,
                "cannot read " + path +
                    ": the file is missing or unreadable; expected the ONNX "
                    "export of the transformer (onnx/model.onnx)",
                path);
  }
  if (in.tellg() == 0) {
    throw Error(ErrorCode::ModelFile, path + " is empty; expected an ONNX model. Download it again.", path);
  }
}

Ort::SessionOptions BaseOptions(const SessionOptions& options, int threads) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  if (!options.memoryArena) so.DisableCpuMemArena();
  so.AddConfigEntry("session.intra_op.allow_spinning", options.spinning ? "1" : "0");
  return so;
}

// Appends the first provider that can be used and returns its name; under fallback, the ones
// skipped before it leave a warning each.
std::string AppendProviders(Ort::SessionOptions& so, const SessionOptions& options,
                            std::vector<std::string>& warnings) {
  std::vector<ProviderRequest> providers = options.providers;
  if (providers.empty()) providers.push_back(ProviderRequest{"cpu", {}});
  for (size_t i = 0; i < providers.size(); ++i) {
    const std::string error = AppendProvider(so, providers[i]);
    if (error.empty()) return providers[i].name;
    const std::string message = "execution provider '" + providers[i].name + "' cannot be used: " + error +
                                ". To use it, " + ProviderHint(providers[i].name);
    if (!options.fallback) throw Error(ErrorCode::Provider, message, providers[i].name);
    warnings.push_back(message + (i + 1 < providers.size() ? "; trying '" + providers[i + 1].name + "'" : ""));
  }
  std::string all;
  for (const auto& w : warnings) all += w + "\n  ";
  throw Error(ErrorCode::Provider,
              "none of the requested execution providers can be used:\n  " + all +
                  "add 'cpu' to the list to fall back to the CPU",
              providers.back().name);
}

// The cached model: already optimized, its weights used where they lie in the buffer. Empty
// when the cache holds no entry, or one sealed by another ONNX Runtime that reads it no more.
Opened FromCache(OptimizedCache& cache, const Ort::SessionOptions& so) {
  Opened opened;
  auto cached = cache.Read();
  if (!cached) return opened;
  try {
    Ort::SessionOptions fromCache = so.Clone();
    fromCache.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    fromCache.AddConfigEntry("session.load_model_format", "ORT");
    fromCache.AddConfigEntry("session.use_ort_model_bytes_directly", "1");
    fromCache.AddConfigEntry("session.use_ort_model_bytes_for_initializers", "1");
    opened.session = std::make_unique<Ort::Session>(OrtEnvironment(), cached->data(), cached->size(), fromCache);
    opened.cached = std::move(cached);
    opened.fromCache = true;
  } catch (const Ort::Exception&) {
    // Optimized again by the caller, which replaces the entry.
    opened.session.reset();
  }
  return opened;
}

// Optimizes the model as usual and saves it into the cache (atomically).
std::unique_ptr<Ort::Session> OptimizeIntoCache(const std::string& path, OptimizedCache& cache,
                                                const Ort::SessionOptions& so) {
  const std::string tmp = cache.TemporaryPath();
  Ort::SessionOptions saving = so.Clone();
  saving.AddConfigEntry("session.save_model_format", "ORT");
  saving.SetOptimizedModelFilePath(tmp.c_str());
  try {
    auto session = std::make_unique<Ort::Session>(OrtEnvironment(), path.c_str(), saving);
    cache.Commit(tmp);
    return session;
  } catch (const Ort::Exception&) {
    // Saving failed (a folder that cannot be written, a full disk): load without the cache;
    // a model that cannot be loaded at all fails here with its own error.
    std::remove(tmp.c_str());
    return std::make_unique<Ort::Session>(OrtEnvironment(), path.c_str(), so);
  }
}

Opened OpenSession(const std::string& path, const Ort::SessionOptions& so, const std::string& cacheFile) {
  std::unique_ptr<OptimizedCache> cache;
  if (!cacheFile.empty()) cache = OptimizedCache::Open(cacheFile);
  if (!cache) {
    Opened opened;
    opened.session = std::make_unique<Ort::Session>(OrtEnvironment(), path.c_str(), so);
    return opened;
  }
  Opened opened = FromCache(*cache, so);
  if (!opened.session) opened.session = OptimizeIntoCache(path, *cache, so);
  return opened;
}

// ONNX Runtime's failure to load, as a ModelFile error that says what to do.
Error LoadError(const std::string& path, const Ort::Exception& e) {
  // Exports over 2 GB keep their weights in a second file (model.onnx_data) that must sit beside.
  const std::string what = e.what();
  const std::string marker = "External data path does not exist: \"";
  const size_t at = what.find(marker);
  if (at != std::string::npos) {
    const size_t from = at + marker.size(), to = what.find('"', from);
    const std::string data = what.substr(from, to == std::string::npos ? std::string::npos : to - from);
    return Error(ErrorCode::ModelFile,
                 path + " keeps its weights in " + data +
                     ", which is missing: place that file beside it (`sentvec download` fetches both)",
                 data);
  }
  return Error(ErrorCode::ModelFile,
               path + " could not be loaded as an ONNX model (" + e.what() +
                   "); the file may be truncated or corrupt: download it again",
               path);
}

Inputs DiscoverInputs(Ort::Session& session, const std::string& path) {
  Inputs inputs;
  Ort::AllocatorWithDefaultOptions allocator;
  for (size_t i = 0; i < session.GetInputCount(); ++i) {
    std::string name = session.GetInputNameAllocated(i, allocator).get();
    // The shape info is a view into the TypeInfo, which must outlive it.
    const Ort::TypeInfo typeInfo = session.GetInputTypeInfo(i);
    const auto type = typeInfo.GetTensorTypeAndShapeInfo().GetElementType();
    Feed feed;
    if (name == "input_ids") {
      feed = Feed::InputIds;
    } else if (name == "attention_mask") {
      feed = Feed::AttentionMask;
    } else if (name == "token_type_ids") {
      feed = Feed::TokenTypeIds;
    } else {
      throw Error(ErrorCode::ModelFile,
                  path + " declares an input '" + name +
                      "' that sentvec cannot feed; expected "
                      "input_ids, attention_mask and optionally token_type_ids",
                  path);
    }
    if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32) {
      throw Error(ErrorCode::ModelFile, path + ": input '" + name + "' must be int64 or int32", path);
    }
    inputs.names.push_back(std::move(name));
    inputs.feeds.push_back(feed);
    inputs.types.push_back(type);
  }
  bool hasIds = false;
  for (auto f : inputs.feeds) hasIds = hasIds || f == Feed::InputIds;
  if (!hasIds) throw Error(ErrorCode::ModelFile, path + " has no input_ids input", path);
  return inputs;
}

// Prefers an already pooled output, then the token embeddings by their usual names, then the
// first output of rank 3; for a classifier, its logits.
Output ChooseOutput(Ort::Session& session, const std::string& path, bool logits) {
  Ort::AllocatorWithDefaultOptions allocator;
  int chosen = -1;
  std::vector<std::string> names;
  for (size_t i = 0; i < session.GetOutputCount(); ++i) {
    names.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
  }
  auto rank = [&](size_t i) {
    const Ort::TypeInfo typeInfo = session.GetOutputTypeInfo(i);
    return typeInfo.GetTensorTypeAndShapeInfo().GetDimensionsCount();
  };
  if (logits) {
    for (size_t i = 0; i < names.size() && chosen < 0; ++i) {
      if (names[i] == "logits") chosen = static_cast<int>(i);
    }
    if (chosen < 0 || rank(static_cast<size_t>(chosen)) != 2) {
      throw Error(ErrorCode::ModelFile,
                  path +
                      " has no 'logits' output of batch × labels: it is not a sequence classifier "
                      "(a cross-encoder's export, *ForSequenceClassification). Load an embedding model with Model.load",
                  path);
    }
  }
  for (const char* want : {"sentence_embedding", "last_hidden_state", "token_embeddings"}) {
    for (size_t i = 0; i < names.size() && chosen < 0; ++i) {
      if (names[i] == want) chosen = static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < names.size() && chosen < 0; ++i) {
    if (rank(i) == 3) chosen = static_cast<int>(i);
  }
  if (chosen < 0) {
    bool classifier = false;
    for (const auto& name : names) classifier = classifier || name == "logits";
    throw Error(
        ErrorCode::ModelFile,
        path +
            " has no usable output: expected last_hidden_state / token_embeddings "
            "(batch × tokens × hidden) or sentence_embedding (batch × hidden)" +
            (classifier ? std::string("; its 'logits' output makes it a cross-encoder: load it with CrossEncoder.load")
                        : std::string()),
        path);
  }
  const Ort::TypeInfo typeInfo = session.GetOutputTypeInfo(static_cast<size_t>(chosen));
  const auto info = typeInfo.GetTensorTypeAndShapeInfo();
  const auto outputType = info.GetElementType();
  if (outputType != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT && outputType != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
    throw Error(ErrorCode::ModelFile, path + ": output '" + names[chosen] + "' must be float32 or float16", path);
  }
  const auto shape = info.GetShape();
  if (shape.size() != 2 && shape.size() != 3) {
    throw Error(
        ErrorCode::ModelFile,
        path + ": output '" + names[chosen] + "' has rank " + std::to_string(shape.size()) + "; expected 2 or 3", path);
  }
  Output output;
  output.name = names[chosen];
  output.half = outputType == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
  output.pooled = shape.size() == 2;
  output.hidden = shape.back();
  return output;
}

}  // namespace

struct Session::Impl {
  // Declared first, so destroyed last: a session from the cache runs on these bytes.
  std::unique_ptr<CachedModel> cached;
  std::unique_ptr<Ort::Session> session;
  Inputs inputs;
  bool halfOutput = false;
  Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
};

Session::~Session() = default;

std::unique_ptr<Session> Session::Load(const std::string& path, const SessionOptions& options) {
  CheckModelFile(path);
  std::unique_ptr<Session> s(new Session());
  s->impl_ = std::make_unique<Impl>();
  if (options.intraOpThreads < 0 || options.intraOpThreads > kMaxThreads) {
    throw Error(ErrorCode::InvalidArgument, "threads must be from 1 to " + std::to_string(kMaxThreads));
  }
  s->threads_ = options.intraOpThreads > 0 ? options.intraOpThreads : PhysicalCores();
  try {
    Ort::SessionOptions so = BaseOptions(options, s->threads_);
    s->provider_ = AppendProviders(so, options, s->warnings_);
    Opened opened = OpenSession(path, so, options.optimizedCache);
    s->impl_->cached = std::move(opened.cached);
    s->impl_->session = std::move(opened.session);
    s->fromCache_ = opened.fromCache;
  } catch (const Error&) {
    throw;
  } catch (const Ort::Exception& e) {
    throw LoadError(path, e);
  }
  s->impl_->inputs = DiscoverInputs(*s->impl_->session, path);
  const Output output = ChooseOutput(*s->impl_->session, path, options.logits);
  for (auto feed : s->impl_->inputs.feeds) s->tokenTypes_ = s->tokenTypes_ || feed == Feed::TokenTypeIds;
  s->impl_->halfOutput = output.half;
  s->pooled_ = output.pooled;
  s->hidden_ = output.hidden;
  s->outputName_ = output.name;
  return s;
}

std::unique_ptr<SessionOutput> Session::Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                                            const std::vector<int64_t>& types, size_t batch, size_t seqLength) const {
  const int64_t shape[2] = {static_cast<int64_t>(batch), static_cast<int64_t>(seqLength)};
  const size_t count = batch * seqLength;
  std::vector<int64_t> zeros;
  std::vector<std::vector<int32_t>> narrowed;
  std::vector<Ort::Value> inputs;
  std::vector<const char*> inputNames;
  auto& impl = *impl_;
  for (size_t i = 0; i < impl.inputs.feeds.size(); ++i) {
    const int64_t* src = nullptr;
    switch (impl.inputs.feeds[i]) {
      case Feed::InputIds:
        src = ids.data();
        break;
      case Feed::AttentionMask:
        src = mask.data();
        break;
      case Feed::TokenTypeIds:
        if (types.size() == count) {
          src = types.data();
        } else {
          if (zeros.empty()) zeros.assign(count, 0);
          src = zeros.data();
        }
        break;
    }
    if (impl.inputs.types[i] == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64) {
      inputs.push_back(Ort::Value::CreateTensor<int64_t>(impl.memory, const_cast<int64_t*>(src), count, shape, 2));
    } else {
      narrowed.emplace_back(src, src + count);
      inputs.push_back(Ort::Value::CreateTensor<int32_t>(impl.memory, narrowed.back().data(), count, shape, 2));
    }
    inputNames.push_back(impl.inputs.names[i].c_str());
  }
  const char* outputName = outputName_.c_str();
  try {
    auto outputs =
        impl.session->Run(Ort::RunOptions{nullptr}, inputNames.data(), inputs.data(), inputs.size(), &outputName, 1);
    const auto dims = outputs[0].GetTensorTypeAndShapeInfo().GetShape();
    const size_t want = pooled_ ? 2 : 3;
    if (dims.size() != want || dims[0] != shape[0] || (!pooled_ && dims[1] != shape[1]) || dims.back() <= 0 ||
        (hidden_ > 0 && dims.back() != hidden_)) {
      throw Error(ErrorCode::Inference, "the model returned an output of unexpected shape");
    }
    const auto width = static_cast<size_t>(dims.back());
    if (impl.halfOutput) {
      return std::make_unique<WidenedOutput>(outputs[0], outputs[0].GetTensorTypeAndShapeInfo().GetElementCount(),
                                             width);
    }
    return std::make_unique<OrtOutput>(std::move(outputs[0]), width);
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::Inference, std::string("ONNX Runtime failed to run the model: ") + e.what());
  }
}

}  // namespace sentvec
