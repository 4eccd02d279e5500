#include "texts.h"

#include <cstdint>

namespace sentvec {

namespace {

bool IsHigh(uint32_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool IsLow(uint32_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// Runs of ASCII go eight units at a time: most text in most languages has them (spaces,
// digits, punctuation, markup), and for Latin scripts they are most of it.
constexpr size_t kRun = 8;
bool AsciiRun(const char16_t* p) {
  uint32_t any = 0;
  for (size_t j = 0; j < kRun; ++j) any |= p[j];
  return any < 0x80;
}

size_t Utf8Length(std::u16string_view from) {
  const size_t n = from.size();
  size_t bytes = 0, k = 0;
  while (k < n) {
    if (k + kRun <= n && AsciiRun(from.data() + k)) {
      bytes += kRun;
      k += kRun;
      continue;
    }
    const uint32_t c = from[k++];
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (IsHigh(c) && k < n && IsLow(from[k])) {
      bytes += 4;
      ++k;
    } else {
      bytes += 3;  // U+FFFD too
    }
  }
  return bytes;
}

}  // namespace

void Utf16ToUtf8(std::u16string_view from, std::string& to) {
  to.resize(Utf8Length(from));
  auto* out = reinterpret_cast<unsigned char*>(to.data());
  const size_t n = from.size();
  size_t k = 0;
  while (k < n) {
    if (k + kRun <= n && AsciiRun(from.data() + k)) {
      for (size_t j = 0; j < kRun; ++j) out[j] = static_cast<unsigned char>(from[k + j]);
      out += kRun;
      k += kRun;
      continue;
    }
    uint32_t c = from[k++];
    if (c < 0x80) {
      *out++ = static_cast<unsigned char>(c);
    } else if (c < 0x800) {
      *out++ = static_cast<unsigned char>(0xC0 | (c >> 6));
      *out++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
    } else if (IsHigh(c) && k < n && IsLow(from[k])) {
      c = 0x10000 + ((c - 0xD800) << 10) + (from[k++] - 0xDC00);
      *out++ = static_cast<unsigned char>(0xF0 | (c >> 18));
      *out++ = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
      *out++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
      *out++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
    } else {
      if (IsHigh(c) || IsLow(c)) c = 0xFFFD;
      *out++ = static_cast<unsigned char>(0xE0 | (c >> 12));
      *out++ = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
      *out++ = static_cast<unsigned char>(0x80 | (c & 0x3F));
    }
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
