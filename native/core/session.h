// One ONNX Runtime session over a transformer encoder export.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "providers.h"

namespace sentvec {

struct SessionOptions {
  // In order of preference; empty means cpu.
  std::vector<ProviderRequest> providers;
  // A provider that cannot be used is skipped (with a warning) instead of failing the load.
  bool fallback = false;
  int intraOpThreads = 0;  // 0: the machine's physical cores
  // Let idle intra-op threads spin between parallel sections (ONNX Runtime's default): lower
  // latency per batch, at the price of cores busy-waiting when there is no work.
  bool spinning = true;
  // ONNX Runtime's CPU memory arena: keeps freed blocks for the next run (a few % faster), but it
  // grows with every new largest shape and never shrinks; without it, memory goes back after each
  // run, so peak memory is that of the largest single batch.
  bool memoryArena = true;
  // A file for the optimized model in ONNX Runtime's own format (empty: none). When it holds an
  // entry sentvec sealed, that is read into memory and run in place — no parsing, no graph
  // optimization, no second copy of the weights; otherwise the model is optimized as usual and
  // saved there (atomically). The rules it must meet: optimized_cache.h.
  std::string optimizedCache;
  // A sequence classifier (a cross-encoder): read its 'logits' output (batch × labels) in place of
  // token embeddings.
  bool logits = false;
};

// The encoder's output for one batch, in memory owned by ONNX Runtime.
class SessionOutput {
 public:
  virtual ~SessionOutput() = default;
  virtual const float* data() const = 0;
  // Width of the last axis (the hidden size).
  virtual size_t width() const = 0;
};

class Session {
 public:
  // Throws Error(ModelFile) naming `path` when the model cannot be loaded.
  static std::unique_ptr<Session> Load(const std::string& path, const SessionOptions& options);
  ~Session();

  // Runs one padded batch (row-major batch × seqLength ids, mask and, where the export takes
  // them, token types: empty means all 0). The output is batch × seqLength × hidden token
  // embeddings, or batch × hidden when pooled() is true (a pooled output, or logits).
  std::unique_ptr<SessionOutput> Run(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                                     const std::vector<int64_t>& types, size_t batch, size_t seqLength) const;

  // The output has a row per input: the export pools (a sentence_embedding output), or it is a
  // classifier's logits.
  bool pooled() const { return pooled_; }
  // The export takes token_type_ids.
  bool takesTokenTypes() const { return tokenTypes_; }
  // Width of the output's last axis; -1 when the export leaves it symbolic.
  int64_t hidden() const { return hidden_; }
  const std::string& outputName() const { return outputName_; }
  int intraOpThreads() const { return threads_; }
  // The execution provider in use (the first that could be appended).
  const std::string& provider() const { return provider_; }
  // Providers skipped under fallback, with the reason.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Whether this session came from SessionOptions::optimizedCache (else it may have written it).
  bool fromCache() const { return fromCache_; }

 private:
  Session() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool pooled_ = false;
  bool tokenTypes_ = false;
  int64_t hidden_ = -1;
  std::string outputName_;
  int threads_ = 1;
  std::string provider_ = "cpu";
  std::vector<std::string> warnings_;
  bool fromCache_ = false;
};

}  // namespace sentvec
