// libFuzzer target: any bytes as JavaScript's texts (UTF-16 code units, two bytes each, little
// end first), cut into texts where 0xFFFF units stand, through Utf16Texts as the binding fills it
// (every other text given in UTF-8 instead, as the binding does for long ones). Each text's UTF-8
// must decode, by a decoder written here independently, to its code units' code points, a lone
// surrogate read as U+FFFD.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../native/core/texts.h"

namespace {

// The code points of UTF-8 that must be valid (shortest form, no surrogates, ≤ U+10FFFF).
std::vector<uint32_t> Decode(const std::string& bytes) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < bytes.size();) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    const size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > bytes.size()) std::abort();
    uint32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < n; ++k) {
      const auto t = static_cast<unsigned char>(bytes[i + k]);
      if ((t & 0xC0) != 0x80) std::abort();
      c = (c << 6) | (t & 0x3F);
    }
    const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) std::abort();
    out.push_back(c);
    i += n;
  }
  return out;
}

std::vector<uint32_t> CodePoints(const std::u16string& units) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < units.size(); ++i) {
    const uint32_t c = units[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      out.push_back(0x10000 + ((c - 0xD800) << 10) + (units[++i] - 0xDC00));
    } else {
      out.push_back(c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::u16string> texts(1);
  for (size_t i = 0; i + 1 < size; i += 2) {
    const char16_t unit = static_cast<char16_t>(data[i] | (data[i + 1] << 8));
    if (unit == 0xFFFF) {
      texts.emplace_back();
    } else {
      texts.back().push_back(unit);
    }
  }
  std::vector<size_t> lengths;
  for (size_t i = 0; i < texts.size(); ++i) lengths.push_back(i % 2 == 1 ? 0 : texts[i].size());
  sentvec::Utf16Texts source(lengths);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i % 2 == 1) {
      std::string utf8;
      sentvec::Utf16ToUtf8(texts[i], utf8);
      source.SetUtf8(i, utf8);
    } else {
      // With the terminator a JavaScript engine writes after each text.
      std::copy(texts[i].begin(), texts[i].end(), source.units(i));
      source.units(i)[texts[i].size()] = 0;
    }
  }
  if (source.size() != texts.size()) std::abort();
  std::string scratch = "left over";  // Utf8 must replace what the scratch held
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string utf8(source.Utf8(i, scratch));
    if (Decode(utf8) != CodePoints(texts[i])) std::abort();
  }
  return 0;
}
