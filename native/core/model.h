// A sentence-transformers model: tokenizer + encoder session + pooling. Safe to use from several
// threads at once (ONNX Runtime sessions allow concurrent Run calls; the rest is read-only).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dense.h"
#include "pooling.h"
#include "sentencepiece_tokenizer.h"
#include "session.h"
#include "texts.h"
#include "tokenizer.h"
#include "wordpiece_tokenizer.h"

namespace sentvec {

struct ModelConfig {
  std::string onnxPath;
  // The SentencePiece model file; with wordPiece set, the file its vocabulary came from (for errors).
  std::string tokenizerPath;
  std::optional<WordPieceOptions> wordPiece;
  size_t maxSeqLength = 128;  // counts <s> and </s>
  size_t maxPositions = 0;    // tokens the encoder can take (0: unknown)
  int64_t hiddenSize = 0;     // config.json hidden_size (0: unknown)
  bool doLowerCase = false;
  std::vector<PoolingMode> pooling{PoolingMode::Mean};
  // Dense modules after pooling, in order (modules.json), before normalization.
  std::vector<DenseLayer> dense;
  // A cross-encoder: the ONNX model is a sequence classifier, and each row of the output is its
  // logits for one input (a pair, framed by Tokenizer::EncodePair) in place of a pooled vector.
  // No pooling and no Dense modules then; dimension() is the number of labels.
  bool scores = false;
  size_t numLabels = 0;  // what config.json says (0: unknown); the export's output must agree
  SessionOptions session;
};

struct EncodeOptions {
  size_t batchSize = 32;
  bool truncate = true;  // false: an input over maxSeqLength is an error
  // Per input (empty: none): how many leading tokens mean and max pooling leave out — <s> and a
  // prompt's tokens, where the Pooling config says include_prompt: false. CLS pooling still reads
  // the first token, as in sentence-transformers.
  std::vector<uint32_t> poolFrom;
  // No `dimensions` and no normalization here: rows leave at full width, unnormalized, and the
  // TypeScript executor cuts and normalizes them (lib/model/rows.ts says why).
};

class Model {
 public:
  // A batch holds at most batchSize inputs, and fewer when they are long: at most kMaxBatchTokens
  // padded tokens, and at most kMaxBatchAttention attention cells (inputs × length²) per head, so
  // that a batch's attention scores take at most 4 × heads × kMaxBatchAttention bytes (16 MiB per
  // head) whatever the lengths. One input always fits: it needs 4 × heads × length² bytes alone.
  static constexpr size_t kMaxBatchTokens = 16384;
  static constexpr size_t kMaxBatchAttention = size_t{1} << 22;
  // How many inputs each batch takes, for inputs of `lengths` tokens sorted longest first: within
  // batchSize and the limits above, the split that pads least for what a run costs (model.cc).
  static std::vector<size_t> BatchSizes(const std::vector<size_t>& lengths, size_t batchSize);

  static std::shared_ptr<Model> Load(const ModelConfig& config);

  // Writes texts.size() × dimension() floats to `out` (row i = texts[i]) and, per text, whether it
  // was truncated. Inputs are sorted by length and each batch is padded to its own longest (see
  // BatchSizes for the size of batches).
  void Encode(const Texts& texts, const EncodeOptions& options, float* out, uint8_t* truncated) const;
  // The same for texts tokenized already (ids with <s> … </s>, each within maxSeqLength).
  void EncodeTokens(const std::vector<Encoding>& encodings, const EncodeOptions& options, float* out) const;
  // maxLength: tokens per text with <s> and </s>, 2 to kMaxTokenizeLength; 0 means maxSeqLength. (Longer than
  // maxSeqLength is for splitting long inputs into windows; such encodings cannot be embedded.)
  // withSpans: fill each Encoding's per-id byte ranges (Encoding::spans; see Tokenizer::Encode).
  std::vector<Encoding> Tokenize(const Texts& texts, size_t maxLength = 0, bool withSpans = false) const;
  // Pairs, texts[2i] with texts[2i + 1], each one row of at most maxSeqLength ids
  // (Tokenizer::EncodePair).
  std::vector<Encoding> TokenizePairs(const Texts& texts) const;

  size_t dimension() const { return dimension_; }
  size_t maxSeqLength() const { return config_.maxSeqLength; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const Session& session() const { return *session_; }

 private:
  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Session> session_;
  size_t hidden_ = 0;
  size_t pooledWidth_ = 0;  // what pooling gives, before the Dense modules
  size_t dimension_ = 0;
};

}  // namespace sentvec
