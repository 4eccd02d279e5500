#include "texts.h"

#include <cstdint>

#include "utf8proc.h"

namespace sentvec {

namespace {

bool IsHigh(uint32_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool IsLow(uint32_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// The code point at from[k], k moved past it: a surrogate pair as one, a lone surrogate as U+FFFD.
int32_t Next(std::u16string_view from, size_t& k) {
  const uint32_t c = from[k++];
  if (IsHigh(c) && k < from.size() && IsLow(from[k]))
    return static_cast<int32_t>(0x10000 + ((c - 0xD800) << 10) + (from[k++] - 0xDC00));
  return static_cast<int32_t>(IsHigh(c) || IsLow(c) ? 0xFFFD : c);
}

// Runs of ASCII go eight units at a time: most text in most languages has them (spaces,
// digits, punctuation, markup), and for Latin scripts they are most of it.
constexpr size_t kRun = 8;
bool AsciiRun(const char16_t* p) {
  uint32_t any = 0;
  for (size_t j = 0; j < kRun; ++j) any |= p[j];
  return any < 0x80;
}

size_t Utf8Length(std::u16string_view from) {
  size_t bytes = 0, k = 0;
  while (k < from.size()) {
    if (k + kRun <= from.size() && AsciiRun(from.data() + k)) {
      bytes += kRun;
      k += kRun;
      continue;
    }
    const int32_t c = Next(from, k);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return bytes;
}

}  // namespace

void Utf16ToUtf8(std::u16string_view from, std::string& to) {
  to.resize(Utf8Length(from));
  auto* out = reinterpret_cast<utf8proc_uint8_t*>(to.data());
  size_t k = 0;
  while (k < from.size()) {
    if (k + kRun <= from.size() && AsciiRun(from.data() + k)) {
      for (size_t j = 0; j < kRun; ++j) out[j] = static_cast<utf8proc_uint8_t>(from[k + j]);
      out += kRun;
      k += kRun;
      continue;
    }
    out += utf8proc_encode_char(Next(from, k), out);
  }
}

Utf16Texts::Utf16Texts(const std::vector<size_t>& lengths) : starts_(lengths.size() + 1, 0) {
  for (size_t i = 0; i < lengths.size(); ++i) starts_[i + 1] = starts_[i] + lengths[i];
  // Not zeroed: every unit is written before it is read.
  units_.reset(new char16_t[starts_.back() + 1]);
}

std::string_view Utf16Texts::Utf8(size_t i, std::string& scratch) const {
  if (!utf8_.empty()) {
    auto it = utf8_.find(i);
    if (it != utf8_.end()) return it->second;
  }
  Utf16ToUtf8(std::u16string_view(units_.get() + starts_[i], length(i)), scratch);
  return scratch;
}

}  // namespace sentvec
