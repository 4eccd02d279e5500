#include "model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "error.h"
#include "limits.h"
#include "parallel.h"

namespace sentvec {

std::shared_ptr<Model> Model::Load(const ModelConfig& config) {
  if (config.maxSeqLength < 2) {
    throw Error(ErrorCode::InvalidArgument, "maxSeqLength must be at least 2 (it counts <s> and </s>)");
  }
  if (config.maxPositions > 0 && config.maxSeqLength > config.maxPositions) {
    throw Error(ErrorCode::InvalidArgument, "maxSeqLength " + std::to_string(config.maxSeqLength) + " exceeds the " +
                                                std::to_string(config.maxPositions) +
                                                " tokens this model's position embeddings allow");
  }
  if (config.pooling.empty()) throw Error(ErrorCode::InvalidArgument, "no pooling mode");
  auto model = std::make_shared<Model>();
  model->config_ = config;
  model->config_.session.logits = config.scores;
  if (config.wordPiece) {
    model->tokenizer_ = WordPieceTokenizer::Create(*config.wordPiece, config.tokenizerPath);
  } else {
    model->tokenizer_ = SentencePieceTokenizer::Load(config.tokenizerPath, SentencePieceOptions{config.doLowerCase});
  }
  model->session_ = Session::Load(config.onnxPath, model->config_.session);
  if (config.scores) {
    if (config.maxSeqLength < model->tokenizer_->pairFormat().specials()) {
      throw Error(ErrorCode::InvalidArgument, "maxSeqLength must be at least " +
                                                  std::to_string(model->tokenizer_->pairFormat().specials()) +
                                                  " for a cross-encoder (a pair's special tokens)");
    }
    const int64_t labels = model->session_->hidden();
    if (labels <= 0) {
      throw Error(ErrorCode::ModelFile, config.onnxPath + " does not fix the number of labels of its 'logits' output",
                  config.onnxPath);
    }
    if (config.numLabels > 0 && static_cast<size_t>(labels) != config.numLabels) {
      throw Error(ErrorCode::ModelFile,
                  config.onnxPath + " outputs " + std::to_string(labels) + " logits per pair but config.json says " +
                      std::to_string(config.numLabels) + " labels (id2label): the files come from different models",
                  config.onnxPath);
    }
    if (!config.dense.empty()) throw Error(ErrorCode::InvalidArgument, "a cross-encoder has no Dense modules");
    model->hidden_ = model->pooledWidth_ = model->dimension_ = static_cast<size_t>(labels);
    return model;
  }
  const int64_t width = model->session_->hidden();
  if (width > 0 && config.hiddenSize > 0 && width != config.hiddenSize) {
    throw Error(ErrorCode::ModelFile,
                config.onnxPath + " outputs vectors of width " + std::to_string(width) +
                    " but config.json says hidden_size " + std::to_string(config.hiddenSize) +
                    ": the files come from different models",
                config.onnxPath);
  }
  const int64_t hidden = width > 0 ? width : config.hiddenSize;
  if (hidden <= 0) {
    throw Error(ErrorCode::ModelFile,
                "the width of the model's output is neither fixed in " + config.onnxPath +
                    " nor given by config.json hidden_size",
                config.onnxPath);
  }
  model->hidden_ = static_cast<size_t>(hidden);
  model->pooledWidth_ = model->session_->pooled() ? model->hidden_ : model->hidden_ * config.pooling.size();
  model->dimension_ = model->pooledWidth_;
  for (size_t i = 0; i < config.dense.size(); ++i) {
    const auto& layer = config.dense[i];
    const std::string what = "Dense module " + std::to_string(i + 1);
    CheckDense(layer, what);
    if (layer.in != model->dimension_) {
      throw Error(ErrorCode::ModelFile,
                  what + " takes " + std::to_string(layer.in) + " features but gets " +
                      std::to_string(model->dimension_) +
                      " from the layer before it: the files come from different models",
                  config.onnxPath);
    }
    model->dimension_ = layer.out;
  }
  return model;
}

std::vector<Encoding> Model::Tokenize(const Texts& texts, size_t maxLength, bool withSpans) const {
  if (maxLength == 1 || maxLength > kMaxTokenizeLength)
    throw Error(ErrorCode::InvalidArgument, "maxLength must be from 2 to " + std::to_string(kMaxTokenizeLength));
  const size_t limit = maxLength > 0 ? maxLength : config_.maxSeqLength;
  std::vector<Encoding> encodings(texts.size());
  // Tokenizing runs before any inference can start, with the cores otherwise idle: split it over
  // them when there is enough of it.
  constexpr size_t kTextsPerThread = 64;
  const size_t parts = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(session_->intraOpThreads()), texts.size() / kTextsPerThread));
  RunParallel(parts, [&](size_t part) {
    const size_t begin = texts.size() * part / parts, end = texts.size() * (part + 1) / parts;
    std::string scratch;
    for (size_t i = begin; i < end; ++i) encodings[i] = tokenizer_->Encode(texts.Utf8(i, scratch), limit, withSpans);
  });
  return encodings;
}

std::vector<Encoding> Model::TokenizePairs(const Texts& texts) const {
  if (texts.size() % 2 != 0) throw Error(ErrorCode::InvalidArgument, "pairs come as an even number of texts");
  std::vector<Encoding> encodings(texts.size() / 2);
  constexpr size_t kPairsPerThread = 32;
  const size_t parts = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(session_->intraOpThreads()), encodings.size() / kPairsPerThread));
  RunParallel(parts, [&](size_t part) {
    const size_t begin = encodings.size() * part / parts, end = encodings.size() * (part + 1) / parts;
    std::string first, second;
    for (size_t i = begin; i < end; ++i)
      encodings[i] =
          tokenizer_->EncodePair(texts.Utf8(2 * i, first), texts.Utf8(2 * i + 1, second), config_.maxSeqLength);
  });
  return encodings;
}

std::vector<size_t> Model::BatchSizes(const std::vector<size_t>& lengths, size_t batchSize) {
  // A batch of `rows` inputs padded to `seq` tokens costs about rows × seq × (1 + seq / kAttentionTokens)
  // (the layers' GEMMs per token, plus attention, which grows with the length), plus kBatchCost per
  // run (a small GEMM runs below the cores' peak). Over the lengths, longest first, the cheapest
  // split into batches within the limits: one dynamic program, cut short where a batch outgrows them.
  constexpr double kAttentionTokens = 2048, kBatchCost = 64;
  const size_t n = lengths.size();
  std::vector<size_t> fits(n);
  for (size_t k = 0; k < n; ++k) {
    const size_t seq = lengths[k];
    fits[k] = std::min(
        {batchSize, std::max<size_t>(1, kMaxBatchTokens / seq), std::max<size_t>(1, kMaxBatchAttention / (seq * seq))});
  }
  std::vector<double> best(n + 1, 0);
  std::vector<size_t> from(n + 1, 0);
  for (size_t end = 1; end <= n; ++end) {
    best[end] = INFINITY;
    for (size_t begin = end; begin-- > 0;) {
      const size_t seq = lengths[begin], rows = end - begin;
      if (rows > fits[begin]) break;  // earlier inputs are longer: their batches fit fewer still
      const double cost = best[begin] + kBatchCost + static_cast<double>(rows * seq) * (1 + seq / kAttentionTokens);
      if (cost < best[end]) best[end] = cost, from[end] = begin;
    }
  }
  std::vector<size_t> sizes;
  for (size_t end = n; end > 0; end = from[end]) sizes.push_back(end - from[end]);
  std::reverse(sizes.begin(), sizes.end());
  return sizes;
}

void Model::Encode(const Texts& texts, const EncodeOptions& options, float* out, uint8_t* truncated) const {
  if (options.batchSize == 0) throw Error(ErrorCode::InvalidArgument, "batchSize must be at least 1");
  const auto encodings = Tokenize(texts);
  for (size_t i = 0; i < encodings.size(); ++i) {
    truncated[i] = encodings[i].truncated ? 1 : 0;
    if (encodings[i].truncated && !options.truncate) {
      throw Error(ErrorCode::InputTooLong,
                  "texts[" + std::to_string(i) + "] is longer than maxSeqLength (" +
                      std::to_string(config_.maxSeqLength) +
                      " tokens with <s> and </s>); shorten it, raise maxSeqLength, or pass truncate: true");
    }
  }
  EncodeTokens(encodings, options, out);
}

void Model::EncodeTokens(const std::vector<Encoding>& encodings, const EncodeOptions& options, float* out) const {
  if (options.batchSize == 0) throw Error(ErrorCode::InvalidArgument, "batchSize must be at least 1");
  if (!options.poolFrom.empty() && options.poolFrom.size() != encodings.size())
    throw Error(ErrorCode::InvalidArgument, "poolFrom must have one entry per input");
  const int32_t vocab = tokenizer_->vocabSize();
  for (size_t i = 0; i < encodings.size(); ++i) {
    const auto& ids = encodings[i].ids;
    if (ids.empty() || ids.size() > config_.maxSeqLength) {
      throw Error(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                                                  " tokens; expected 1 to maxSeqLength (" +
                                                  std::to_string(config_.maxSeqLength) + ")");
    }
    if (encodings[i].secondFrom >= ids.size() && encodings[i].secondFrom != 0) {
      throw Error(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " starts its second sequence at " +
                                                  std::to_string(encodings[i].secondFrom) + ", past its " +
                                                  std::to_string(ids.size()) + " tokens");
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab) {
        throw Error(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has token id " + std::to_string(id) +
                                                    ", outside this model's vocabulary (0 to " +
                                                    std::to_string(vocab - 1) + ")");
      }
    }
  }
  // Longest first (as sentence-transformers does), so each batch pads only to its own longest.
  std::vector<size_t> order(encodings.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return encodings[a].ids.size() > encodings[b].ids.size(); });

  // Token types only where a pair asks for them and the export takes them.
  const bool typed = session_->takesTokenTypes() && std::any_of(encodings.begin(), encodings.end(),
                                                                [](const Encoding& e) { return e.secondFrom > 0; });
  std::vector<int64_t> ids, mask, types;
  std::vector<float*> rows;
  // Pooled vectors go here first when Dense modules follow; `full` holds the Dense modules' results.
  const bool direct = config_.dense.empty();
  std::vector<float> pooled, full, scratch;
  std::vector<size_t> lengths(order.size());
  for (size_t k = 0; k < order.size(); ++k) lengths[k] = encodings[order[k]].ids.size();
  const auto sizes = BatchSizes(lengths, options.batchSize);
  for (size_t first = 0, next = 0, batch = 0; first < order.size(); first += batch) {
    const size_t seq = lengths[first];
    batch = sizes[next++];
    ids.assign(batch * seq, tokenizer_->specialIds().pad);
    mask.assign(batch * seq, 0);
    if (typed) types.assign(batch * seq, 0);
    rows.resize(batch);
    if (!direct) pooled.resize(batch * pooledWidth_);
    for (size_t b = 0; b < batch; ++b) {
      const auto& enc = encodings[order[first + b]].ids;
      std::copy(enc.begin(), enc.end(), ids.begin() + static_cast<std::ptrdiff_t>(b * seq));
      std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(b * seq), enc.size(), 1);
      const uint32_t second = encodings[order[first + b]].secondFrom;
      if (typed && second > 0)
        std::fill(types.begin() + static_cast<std::ptrdiff_t>(b * seq + second),
                  types.begin() + static_cast<std::ptrdiff_t>(b * seq + enc.size()), 1);
      rows[b] = direct ? out + order[first + b] * dimension_ : pooled.data() + b * pooledWidth_;
    }
    const auto output = session_->Run(ids, mask, types, batch, seq);
    if (output->width() != hidden_) {
      throw Error(ErrorCode::Inference, "the model returned vectors of width " + std::to_string(output->width()) +
                                            " instead of " + std::to_string(hidden_));
    }
    if (session_->pooled()) {
      for (size_t b = 0; b < batch; ++b) std::copy_n(output->data() + b * hidden_, hidden_, rows[b]);
    } else {
      if (!options.poolFrom.empty()) {
        // The encoder attended to every token; only pooling leaves the prompt out.
        for (size_t b = 0; b < batch; ++b) {
          const size_t skip = std::min<size_t>(options.poolFrom[order[first + b]], seq);
          std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(b * seq), skip, 0);
        }
      }
      Pool(output->data(), mask.data(), batch, seq, hidden_, config_.pooling, rows.data());
    }
    // A NaN or infinity (a float16 export that overflowed, a broken export) must not reach
    // the caller as a vector that merely looks odd.
    for (size_t b = 0; b < batch; ++b) {
      const float* row = rows[b];
      for (size_t d = 0; d < pooledWidth_; ++d) {
        if (!std::isfinite(row[d])) {
          throw Error(ErrorCode::Inference,
                      "the model produced a non-finite value (" + std::string(std::isnan(row[d]) ? "NaN" : "infinity") +
                          ") in the vector of input " + std::to_string(order[first + b]) +
                          "; a float16 export can overflow where float32 does not: try the float32 model file");
        }
      }
    }
    if (!config_.dense.empty()) {
      // Dense modules, one after another: pooled → … → full.
      full.resize(batch * dimension_);
      size_t widest = 0;
      for (const auto& layer : config_.dense) widest = std::max(widest, layer.out);
      scratch.resize(2 * widest);  // two halves, written in turn between layers
      for (size_t b = 0; b < batch; ++b) {
        const float* x = rows[b];
        for (size_t l = 0; l < config_.dense.size(); ++l) {
          float* y = l + 1 == config_.dense.size() ? full.data() + b * dimension_ : scratch.data() + (l % 2) * widest;
          ApplyDense(config_.dense[l], x, y);
          x = y;
        }
        rows[b] = full.data() + b * dimension_;
      }
    }
    for (size_t b = 0; b < batch; ++b) {
      if (!direct) std::copy_n(rows[b], dimension_, out + order[first + b] * dimension_);
    }
  }
}

}  // namespace sentvec
