// What every tokenizer's encoding must satisfy, for the tokenizer fuzzers: within the length
// limit, framed by the start and end ids, every id in the vocabulary; with spans, the same ids
// and, per id, an ordered range inside the input; and reading the text window by window changes
// nothing. A broken rule aborts (the fuzzer's crash).
#pragma once

#include <algorithm>
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

// The text cut in two at byte `split` (moved to a character start) as a [query, passage] pair:
// at most maxLength ids, framed as the tokenizer's pair template, token types from the second
// sequence when the format has them, each side a prefix of that side's own pieces (all of them
// when nothing was cut), and the same pair whether read in one window or cut at every cut point.
inline void CheckPair(const sentvec::Tokenizer& whole, const sentvec::Tokenizer& cut, std::string_view text,
                      size_t split, size_t maxLength) {
  const auto format = whole.pairFormat();
  if (maxLength < format.specials()) return;
  split = sentvec::CharStart(text, std::min(split, text.size()));
  const std::string_view first = text.substr(0, split), second = text.substr(split);
  sentvec::Encoding pair, a, b;
  try {
    pair = whole.EncodePair(first, second, maxLength);
    a = whole.Encode(first, maxLength + 2);
    b = whole.Encode(second, maxLength + 2);
  } catch (const sentvec::Error&) {
    return;  // invalid UTF-8
  }
  const auto ids = whole.specialIds();
  // A side that spells the end token itself ("</s>", "[SEP]") makes the separator ambiguous to find.
  for (const auto* side : {&a, &b})
    if (std::find(side->ids.begin() + 1, side->ids.end() - 1, ids.end) != side->ids.end() - 1) return;
  if (pair.ids.size() > maxLength || pair.ids.front() != ids.start || pair.ids.back() != ids.end) std::abort();
  // Where the first sequence ends: its end token (and, for XLM-R, a second one).
  size_t keepA = 0;
  while (1 + keepA < pair.ids.size() && keepA < a.ids.size() - 2 && pair.ids[1 + keepA] == a.ids[1 + keepA]) ++keepA;
  const size_t sep = 1 + keepA, from = sep + (format.doubleSeparator ? 2 : 1);
  if (from > pair.ids.size() - 1 || pair.ids[sep] != ids.end ||
      (format.doubleSeparator && pair.ids[sep + 1] != ids.end))
    std::abort();
  const size_t keepB = pair.ids.size() - 1 - from;
  if (keepB > b.ids.size() - 2 ||
      !std::equal(pair.ids.begin() + static_cast<std::ptrdiff_t>(from), pair.ids.end() - 1, b.ids.begin() + 1))
    std::abort();
  if (pair.secondFrom != (format.segmentTypes ? from : 0)) std::abort();
  if (!pair.truncated && (keepA != a.ids.size() - 2 || keepB != b.ids.size() - 2)) std::abort();
  const auto again = cut.EncodePair(first, second, maxLength);
  if (again.ids != pair.ids || again.truncated != pair.truncated || again.secondFrom != pair.secondFrom) std::abort();
}
