// The texts of one call, as the caller holds them. Model reads text i on the thread that encodes
// it, so a caller's conversion (the binding's, from JavaScript's UTF-16) runs in parallel with
// the tokenizing, and no call keeps a UTF-8 copy of all its texts at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sentvec {

class Texts {
 public:
  virtual ~Texts() = default;
  virtual size_t size() const = 0;
  // Text i in UTF-8: the source's own bytes, or `scratch` made to hold them.
  virtual std::string_view Utf8(size_t i, std::string& scratch) const = 0;
};

// Texts as JavaScript holds them: UTF-16, one after another in one buffer, made UTF-8 one at a
// time where they are read; a lone surrogate becomes U+FFFD, as V8 writes it to UTF-8 (JavaScript
// strings may hold them; the TypeScript layer refuses them first). Some texts may be given in
// UTF-8 instead (SetUtf8).
class Utf16Texts final : public Texts {
 public:
  // lengths: of each text, in UTF-16 code units (0 for one given in UTF-8). units() then has room
  // for all of them and one unit more (JavaScript engines write a terminator after a string).
  explicit Utf16Texts(const std::vector<size_t>& lengths);
  char16_t* units(size_t i) { return units_.get() + starts_[i]; }
  size_t length(size_t i) const { return starts_[i + 1] - starts_[i]; }
  void SetUtf8(size_t i, std::string text) { utf8_.emplace(i, std::move(text)); }

  size_t size() const override { return starts_.size() - 1; }
  std::string_view Utf8(size_t i, std::string& scratch) const override;

 private:
  std::unique_ptr<char16_t[]> units_;
  std::vector<size_t> starts_;  // text i is units_[starts_[i] .. starts_[i + 1]]
  std::unordered_map<size_t, std::string> utf8_;
};

// `from` (UTF-16) as UTF-8, in place of what `to` held.
void Utf16ToUtf8(std::u16string_view from, std::string& to);

}  // namespace sentvec
