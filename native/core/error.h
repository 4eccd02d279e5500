// The error contract: every error sentvec's native code raises has one of these codes. The
// binding hands each to the error factory that lib/errors.ts registers, so JavaScript receives the
// real class (InvalidArgumentError, ModelFileError, …); lib/errors.ts has one class per code, and
// test/errors.test.mjs checks that against kErrorCodes.
#pragma once

#include <stdexcept>
#include <string>

namespace sentvec {

enum class ErrorCode {
  InvalidArgument,  // ERR_INVALID_ARG: a caller-supplied value is unusable
  ModelFile,        // ERR_MODEL_FILE: a file of the model directory is missing or corrupt
  InputTooLong,     // ERR_INPUT_TOO_LONG: truncation was refused and an input exceeds the limit
  Inference,        // ERR_INFERENCE: ONNX Runtime failed while running the model
  Provider,         // ERR_PROVIDER: an execution provider cannot be used
  DuplicateId,      // ERR_DUPLICATE_ID: an id is already in the index or repeated in one call
  IndexFile,        // ERR_INDEX_FILE: a saved index is truncated, corrupt or of a newer format
  Io,               // ERR_IO: a file could not be written
  Disposed,         // ERR_DISPOSED: a model or index was used after dispose()
  OutOfMemory,      // ERR_OUT_OF_MEMORY: an allocation failed, or a result is too large to hand over
  Internal,         // ERR_INTERNAL: a bug in sentvec (please report it)
};

// Every code with its name: the one list the binding exports and ErrorCodeName reads.
struct ErrorCodeInfo {
  ErrorCode code;
  const char* name;
};
constexpr ErrorCodeInfo kErrorCodes[] = {
    {ErrorCode::InvalidArgument, "ERR_INVALID_ARG"}, {ErrorCode::ModelFile, "ERR_MODEL_FILE"},
    {ErrorCode::InputTooLong, "ERR_INPUT_TOO_LONG"}, {ErrorCode::Inference, "ERR_INFERENCE"},
    {ErrorCode::Provider, "ERR_PROVIDER"},           {ErrorCode::DuplicateId, "ERR_DUPLICATE_ID"},
    {ErrorCode::IndexFile, "ERR_INDEX_FILE"},        {ErrorCode::Io, "ERR_IO"},
    {ErrorCode::Disposed, "ERR_DISPOSED"},           {ErrorCode::OutOfMemory, "ERR_OUT_OF_MEMORY"},
    {ErrorCode::Internal, "ERR_INTERNAL"},
};

inline const char* ErrorCodeName(ErrorCode code) {
  for (const auto& entry : kErrorCodes) {
    if (entry.code == code) return entry.name;
  }
  return "ERR_INTERNAL";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string subject = {})
      : std::runtime_error(message), code_(code), subject_(std::move(subject)) {}
  ErrorCode code() const { return code_; }
  // What the error is about, where its class has a field for it: the file of ERR_MODEL_FILE and
  // ERR_INDEX_FILE, the provider of ERR_PROVIDER.
  const std::string& subject() const { return subject_; }

 private:
  ErrorCode code_;
  std::string subject_;
};

}  // namespace sentvec
