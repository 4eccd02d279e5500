#include "aligned_text.h"

#include "error.h"
#include "utf8proc.h"

namespace sentvec {

void AlignedText::AppendCodepoint(int32_t cp, uint32_t from, uint32_t to) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(cp, buf);
  Append(std::string_view(reinterpret_cast<const char*>(buf), static_cast<size_t>(n)), from, to);
}

namespace {

bool IsCased(int32_t c) {
  const auto cat = utf8proc_category(c);
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

}  // namespace

AlignedText Unchanged(std::string_view text, bool track) {
  AlignedText out;
  out.track = track;
  if (!track) {
    out.text.assign(text);
    return out;
  }
  for (const auto& c : DecodeAt(text)) out.Append(text.substr(c.at, c.length), c.at, c.at + c.length);
  return out;
}

AlignedText PythonLower(std::string_view text, bool track) {
  const auto cps = DecodeAt(text);
  AlignedText out;
  out.track = track;
  out.text.reserve(text.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const int32_t c = cps[i].cp;
    const uint32_t from = cps[i].at, to = cps[i].at + cps[i].length;
    if (c == 0x130) {
      out.Append("i\xCC\x87", from, to);
    } else if (c == 0x3A3) {
      const bool after = i > 0 && IsCased(cps[i - 1].cp);
      const bool before = i + 1 < cps.size() && IsCased(cps[i + 1].cp);
      out.AppendCodepoint(after && !before ? 0x3C2 : 0x3C3, from, to);
    } else {
      out.AppendCodepoint(utf8proc_tolower(c), from, to);
    }
  }
  return out;
}

std::vector<CodePoint> DecodeAt(std::string_view text) {
  std::vector<CodePoint> cps;
  cps.reserve(text.size());
  auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  uint32_t at = 0;
  while (left > 0) {
    utf8proc_int32_t cp;
    const auto n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) throw Error(ErrorCode::InvalidArgument, "text is not valid UTF-8");
    cps.push_back({cp, at, static_cast<uint32_t>(n)});
    p += n;
    left -= n;
    at += static_cast<uint32_t>(n);
  }
  return cps;
}

}  // namespace sentvec
