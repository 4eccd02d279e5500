#include "precompiled_charsmap.h"

#include "error.h"
#include "utf8proc.h"

namespace sentvec {

namespace {

// Hugging Face's Rust tokenizer looks a cluster up whole only below this many bytes.
constexpr size_t kWholeClusterBelow = 6;

bool IsValidUtf8(std::string_view bytes) {
  auto* p = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  auto left = static_cast<utf8proc_ssize_t>(bytes.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    const auto n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

// darts-clone's unit layout.
bool HasLeaf(uint32_t unit) { return ((unit >> 8) & 1) == 1; }
uint32_t Value(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t Label(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

}  // namespace

PrecompiledCharsmap PrecompiledCharsmap::Parse(std::string_view blob, const std::string& path) {
  PrecompiledCharsmap charsmap;
  if (blob.empty()) return charsmap;
  auto malformed = [&](const std::string& why) {
    return Error(ErrorCode::ModelFile,
                 path + ": the normalization rules (normalizer_spec.precompiled_charsmap) are malformed: " + why +
                     ". The file is damaged or not an XLM-RoBERTa SentencePiece model: download it again.",
                 path);
  };
  if (blob.size() < 4) throw malformed("shorter than its 4-byte header");
  const auto* bytes = reinterpret_cast<const unsigned char*>(blob.data());
  const uint32_t trieSize = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (static_cast<uint32_t>(bytes[3]) << 24);
  if (trieSize % 4 != 0 || trieSize > blob.size() - 4) {
    throw malformed("its trie size " + std::to_string(trieSize) + " does not fit its " + std::to_string(blob.size()) +
                    " bytes");
  }
  charsmap.units_.resize(trieSize / 4);
  for (size_t i = 0; i < charsmap.units_.size(); ++i) {
    const unsigned char* u = bytes + 4 + 4 * i;
    charsmap.units_[i] = u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
  }
  charsmap.outputs_.assign(blob.substr(4 + trieSize));
  if (!IsValidUtf8(charsmap.outputs_)) throw malformed("its outputs are not UTF-8");
  return charsmap;
}

std::optional<std::string_view> PrecompiledCharsmap::Transform(std::string_view chunk) const {
  // A common-prefix search that stops at the first (shortest) key. Every index is checked: a
  // damaged trie gives no match rather than a read out of bounds.
  const size_t n = units_.size();
  if (n == 0) return std::nullopt;
  size_t node = Offset(units_[0]);
  for (const char ch : chunk) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= n) return std::nullopt;
    const uint32_t unit = units_[node];
    if (Label(unit) != c) return std::nullopt;
    node ^= Offset(unit);
    if (HasLeaf(unit)) {
      if (node >= n) return std::nullopt;
      const size_t at = Value(units_[node]);
      // An output starts at a character's first byte and ends before a NUL.
      if (at > outputs_.size() || (at < outputs_.size() && (static_cast<unsigned char>(outputs_[at]) & 0xC0) == 0x80)) {
        return std::nullopt;
      }
      const size_t stop = outputs_.find('\0', at);
      return std::string_view(outputs_).substr(at, (stop == std::string::npos ? outputs_.size() : stop) - at);
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::Apply(const AlignedText& src, size_t start, size_t length, AlignedText* out) const {
  const std::string_view text = std::string_view(src.text).substr(start, length);
  if (empty()) {
    for (size_t i = 0; i < text.size(); ++i) out->Append(text.substr(i, 1), src.Begin(start + i), src.End(start + i));
    return;
  }
  const auto cps = DecodeAt(text);
  utf8proc_int32_t state = 0;
  for (size_t first = 0; first < cps.size();) {
    size_t last = first + 1;  // one past the cluster's last code point
    while (last < cps.size() && !utf8proc_grapheme_break_stateful(cps[last - 1].cp, cps[last].cp, &state)) ++last;
    state = 0;  // (safe after a break, and the next cluster starts afresh)
    const size_t from = cps[first].at, to = cps[last - 1].at + cps[last - 1].length;
    std::optional<std::string_view> whole;
    if (to - from < kWholeClusterBelow) whole = Transform(text.substr(from, to - from));
    if (whole) {
      out->Append(*whole, src.Begin(start + from), src.End(start + to - 1));
    } else {
      for (size_t k = first; k < last; ++k) {
        const std::string_view character = text.substr(cps[k].at, cps[k].length);
        const auto replaced = Transform(character);
        out->Append(replaced ? *replaced : character, src.Begin(start + cps[k].at),
                    src.End(start + cps[k].at + cps[k].length - 1));
      }
    }
    first = last;
  }
}

}  // namespace sentvec
