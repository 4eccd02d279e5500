// What every tokenizer's encoding must satisfy, for the tokenizer fuzzers: within the length
// limit, framed by the start and end ids, every id in the vocabulary; with spans, the same ids
// and, per id, an ordered range inside the input; and reading the text window by window changes
// nothing. A broken rule aborts (the fuzzer's crash).
#pragma once

#include <cstdlib>
#include <string_view>

#include "../native/core/error.h"
#include "../native/core/tokenizer.h"

inline void CheckEncoding(const sentvec::Tokenizer& tok, std::string_view text, size_t maxLength) {
  const auto enc = tok.Encode(text, maxLength);
  const auto ids = tok.specialIds();
  if (enc.ids.size() < 2 || enc.ids.size() > maxLength) std::abort();
  if (enc.ids.front() != ids.start || enc.ids.back() != ids.end) std::abort();
  for (int32_t id : enc.ids) {
    if (id < 0 || id >= tok.vocabSize()) std::abort();
  }
  const auto traced = tok.Encode(text, maxLength, true);
  if (traced.ids != enc.ids || traced.truncated != enc.truncated || traced.spans.size() != 2 * enc.ids.size())
    std::abort();
  for (size_t k = 0; k < enc.ids.size(); ++k) {
    const uint32_t begin = traced.spans[2 * k], end = traced.spans[2 * k + 1];
    if (begin > end || end > text.size()) std::abort();
    if (k > 0 && (begin < traced.spans[2 * k - 2] || end < traced.spans[2 * k - 1])) std::abort();
  }
}

// `cut` is `whole` set to read 1-byte windows (Tokenizer::SetWindowBytes), so that it cuts the text
// at every cut point: the same ids, truncation and spans as `whole`, which reads it in one window.
inline void CheckWindows(const sentvec::Tokenizer& whole, const sentvec::Tokenizer& cut, std::string_view text,
                         size_t maxLength) {
  for (bool withSpans : {false, true}) {
    sentvec::Encoding expected;
    try {
      expected = whole.Encode(text, maxLength, withSpans);
    } catch (const sentvec::Error&) {
      continue;  // invalid UTF-8, which reading by windows may stop before
    }
    const auto got = cut.Encode(text, maxLength, withSpans);
    if (got.ids != expected.ids || got.truncated != expected.truncated || got.spans != expected.spans) std::abort();
  }
}
