// A sentence-transformers model: tokenizer + encoder session + pooling. Safe to use from several
// threads at once (ONNX Runtime sessions allow concurrent Run calls; the rest is read-only).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pooling.h"
#include "session.h"
#include "tokenizer.h"

namespace sentvec {

struct ModelConfig {
  std::string onnxPath;
  std::string tokenizerPath;
  size_t maxSeqLength = 128;  // counts <s> and </s>
  size_t maxPositions = 0;    // tokens the encoder can take (0: unknown)
  int64_t hiddenSize = 0;     // config.json hidden_size (0: unknown)
  bool doLowerCase = false;
  std::vector<PoolingMode> pooling{PoolingMode::Mean};
  SessionOptions session;
};

struct EncodeOptions {
  size_t batchSize = 32;
  bool normalize = false;
  bool truncate = true;  // false: an input over maxSeqLength is an error
};

class Model {
 public:
  static std::shared_ptr<Model> Load(const ModelConfig& config);

  // Writes texts.size() × dimension() floats to `out` (row i = texts[i]) and, per text, whether it
  // was truncated. Inputs are sorted by length and each batch is padded to its own longest.
  void Encode(const std::vector<std::string>& texts, const EncodeOptions& options, float* out,
              uint8_t* truncated) const;
  // The same for texts tokenized already (ids with <s> … </s>, each within maxSeqLength).
  void EncodeTokens(const std::vector<Encoding>& encodings, const EncodeOptions& options, float* out) const;
  std::vector<Encoding> Tokenize(const std::vector<std::string>& texts) const;

  size_t dimension() const { return dimension_; }
  size_t maxSeqLength() const { return config_.maxSeqLength; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const Session& session() const { return *session_; }

 private:
  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Session> session_;
  size_t hidden_ = 0;
  size_t dimension_ = 0;
};

}  // namespace sentvec
