// Errors raised by the core. The binding turns each into a rejected Promise whose `code` is
// the string below, so TypeScript can map it onto a typed error class.
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
};

inline const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "ERR_INVALID_ARG";
    case ErrorCode::ModelFile:
      return "ERR_MODEL_FILE";
    case ErrorCode::InputTooLong:
      return "ERR_INPUT_TOO_LONG";
    case ErrorCode::Inference:
      return "ERR_INFERENCE";
    case ErrorCode::Provider:
      return "ERR_PROVIDER";
    case ErrorCode::DuplicateId:
      return "ERR_DUPLICATE_ID";
    case ErrorCode::IndexFile:
      return "ERR_INDEX_FILE";
    case ErrorCode::Io:
      return "ERR_IO";
  }
  return "ERR_INTERNAL";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string file = {})
      : std::runtime_error(message), code_(code), file_(std::move(file)) {}
  ErrorCode code() const { return code_; }
  // The model file the error is about, when there is one (for ERR_MODEL_FILE).
  const std::string& file() const { return file_; }

 private:
  ErrorCode code_;
  std::string file_;
};

}  // namespace sentvec
