// libFuzzer target: any bytes as a saved index. An index that loads must also search, and save
// a file that loads again (what Index.load() refuses, save() must never write).
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../native/core/error.h"
#include "../native/core/index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<sentvec::Index> index;
  try {
    index = sentvec::Index::FromBytes(bytes, "fuzz.svi", 1);
  } catch (const sentvec::Error& e) {
    if (e.code() != sentvec::ErrorCode::IndexFile) std::abort();  // a bad file is ERR_INDEX_FILE
    return 0;
  }
  std::vector<float> query(index->dimension(), 0.25f);
  const auto results = index->Search(query.data(), 1, 5, nullptr);
  if (results.counts.size() != 1 || results.counts[0] > index->size()) std::abort();
  for (size_t i = 0; i < results.counts[0]; ++i) {
    if (!std::isfinite(results.scores[i])) std::abort();  // finite scores, whatever the file held
  }
  const std::string path = "/tmp/sentvec-fuzz-" + std::to_string(getpid()) + ".svi";
  index->Save(path);
  auto again = sentvec::Index::Load(path, 1);  // throws (and so crashes the fuzzer) if refused
  if (again->size() != index->size()) std::abort();
  unlink(path.c_str());
  return 0;
}
