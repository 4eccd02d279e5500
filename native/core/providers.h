// Execution providers: the ones sentvec knows, whether this ONNX Runtime library and machine can
// use each, and how a session gets one.
#pragma once

#include <string>
#include <utility>
#include <vector>

struct OrtSessionOptions;

namespace sentvec {

// An execution provider to try, with its ONNX Runtime options (key/value strings).
struct ProviderRequest {
  std::string name;  // one of kProviders' names
  std::vector<std::pair<std::string, std::string>> options;
};

struct ProviderInfo {
  const char* name;     // sentvec's name (lib/model/providers.ts lists the same, in the same order)
  const char* ortName;  // what Ort::GetAvailableProviders() calls it
  const char* hint;     // how to make it usable
};
extern const ProviderInfo kProviders[5];

struct ProviderStatus {
  std::string name;
  bool compiled = false;  // listed by this ONNX Runtime build
  bool usable = false;    // could be appended here and now
  std::string reason;     // why not, when not
};

// Every provider in kProviders, as this ONNX Runtime library and machine see it.
std::vector<ProviderStatus> ProbeProviders();

// Appends `request`'s provider to a session's options; returns why it cannot be used, or "".
std::string AppendProvider(OrtSessionOptions* options, const ProviderRequest& request);

// How to make the provider `name` usable ("" for an unknown name).
const char* ProviderHint(const std::string& name);

}  // namespace sentvec
