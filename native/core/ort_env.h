// The ONNX Runtime environment every session and provider probe shares.
#pragma once

#include "onnxruntime_cxx_api.h"

namespace sentvec {

// One per process, never destroyed: sessions owned by garbage-collected JS objects may outlive
// static destructors at exit.
inline Ort::Env& OrtEnvironment() {
  static Ort::Env* env = new Ort::Env(ORT_LOGGING_LEVEL_ERROR, "sentvec");
  return *env;
}

}  // namespace sentvec
