// libFuzzer target: any bytes as a sentencepiece.bpe.model. A model that loads must also
// tokenize a few texts.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../native/core/error.h"
#include "../native/core/sentencepiece_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto tok = sentvec::SentencePieceTokenizer::FromBytes(bytes, "fuzz.model", {false});
    for (const char* text : {"Hello world", "日本語のテキスト", " <mask> </s> \t\n", "ÅÄÖ ﬁ ①"}) {
      const auto enc = tok->Encode(text, 64);
      for (int32_t id : enc.ids) {
        if (id < 0 || id >= tok->vocabSize()) std::abort();
      }
    }
  } catch (const sentvec::Error& e) {
    if (e.code() != sentvec::ErrorCode::ModelFile) std::abort();  // a bad file is ERR_MODEL_FILE
  }
  return 0;
}
