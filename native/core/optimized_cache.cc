#include "optimized_cache.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "error.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#define XXH_INLINE_ALL
#include "xxhash.h"

namespace sentvec {

namespace {

// The entry's last bytes: model length (u64), XXH3-128 of name and model (low, high u64), magic.
constexpr char kMagic[8] = {'S', 'V', 'O', 'R', 'T', 'C', '0', '1'};
constexpr size_t kTrailerBytes = 8 + 16 + 8;
// ONNX Runtime's format holds at most 2 GiB (flatbuffers' offsets): anything larger is not ours.
constexpr uint64_t kMaxModelBytes = uint64_t{1} << 31;
// Read and hashed in pieces, so that each is hashed while it is still in the CPU's cache.
constexpr size_t kChunk = size_t{4} << 20;

void Put64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

void Trailer(unsigned char* out, uint64_t length, XXH128_hash_t hash) {
  Put64(out, length);
  Put64(out + 8, hash.low64);
  Put64(out + 16, hash.high64);
  std::memcpy(out + 24, kMagic, 8);
}

#if !defined(_WIN32)

struct Facts {
  mode_t mode = 0;
  uid_t owner = 0;
  uint64_t size = 0;
};

// fstat gained a new symbol in glibc 2.33, above ONNX Runtime's floor of 2.28; statx is 2.28's.
bool Describe(int fd, Facts& facts) {
#if defined(__linux__)
  struct statx sx;
  const unsigned want = STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE;
  if (::statx(fd, "", AT_EMPTY_PATH, want, &sx) != 0 || (sx.stx_mask & want) != want) return false;
  facts.mode = sx.stx_mode;
  facts.owner = sx.stx_uid;
  facts.size = sx.stx_size;
#else
  struct stat st;
  if (::fstat(fd, &st) != 0) return false;
  facts.mode = st.st_mode;
  facts.owner = st.st_uid;
  facts.size = static_cast<uint64_t>(st.st_size);
#endif
  return true;
}

// Root may write anywhere anyway; anyone else is another user.
bool OwnedHere(uid_t owner) { return owner == ::geteuid() || owner == 0; }

// A regular file of this user that no one else may write, at most `limit` bytes.
bool Trustworthy(int fd, uint64_t limit, Facts& facts) {
  return Describe(fd, facts) && S_ISREG(facts.mode) && OwnedHere(facts.owner) &&
         (facts.mode & (S_IWGRP | S_IWOTH)) == 0 && facts.size <= limit;
}

// Entries are opened without following links and without waiting (a FIFO would block the open).
int OpenEntry(int folder, const std::string& name, int flags) {
  int fd;
  do {
    fd = ::openat(folder, name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Reads the first `size` bytes of `fd` and hashes `name` and the first `hashed` of them. `out`
// receives them all; without it they pass through a scratch buffer. False when the file is shorter.
bool ReadHashed(int fd, uint64_t size, uint64_t hashed, const std::string& name, unsigned char* out,
                XXH128_hash_t& hash) {
  std::unique_ptr<unsigned char[]> scratch;
  if (!out) scratch.reset(new (std::nothrow) unsigned char[kChunk]);
  XXH3_state_t* state = XXH3_createState();
  if ((!out && !scratch) || !state) {
    XXH3_freeState(state);
    return false;
  }
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, name.data(), name.size());
  uint64_t done = 0;
  while (done < size) {
    unsigned char* at = out ? out + done : scratch.get();
    const ssize_t n =
        ::pread(fd, at, static_cast<size_t>(std::min<uint64_t>(kChunk, size - done)), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // an error, or the file shrank since it was measured
    if (done < hashed) XXH3_128bits_update(state, at, static_cast<size_t>(std::min<uint64_t>(n, hashed - done)));
    done += static_cast<uint64_t>(n);
  }
  hash = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return done == size;
}

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

#endif

}  // namespace

CachedModel::~CachedModel() { std::free(data_); }

OptimizedCache::~OptimizedCache() {
#if !defined(_WIN32)
  if (folder_ >= 0) ::close(folder_);
#endif
}

std::unique_ptr<OptimizedCache> OptimizedCache::Open(const std::string& entry) {
#if defined(_WIN32)
  (void)entry;
  return nullptr;
#else
  const size_t slash = entry.rfind('/');
  std::string folderPath = slash == std::string::npos ? "." : slash == 0 ? "/" : entry.substr(0, slash);
  std::string name = slash == std::string::npos ? entry : entry.substr(slash + 1);
  if (name.empty()) return nullptr;
  const int fd = ::open(folderPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  std::unique_ptr<OptimizedCache> cache(new OptimizedCache());
  cache->folder_ = fd;
  cache->folderPath_ = std::move(folderPath);
  cache->name_ = std::move(name);
  Facts facts;
  if (!Describe(fd, facts) || !S_ISDIR(facts.mode)) return nullptr;
  const std::string& folder = cache->folderPath_;
  if (!OwnedHere(facts.owner)) {
    throw Error(ErrorCode::InvalidArgument,
                "the optimizedCache folder " + folder + " belongs to user " + std::to_string(facts.owner) +
                    ", not to this process's user (" + std::to_string(::geteuid()) +
                    "), who could place a model there for sentvec to run. Use a folder of your own as optimizedCache, "
                    "or remove this one so that sentvec makes it.");
  }
  if ((facts.mode & (S_IWGRP | S_IWOTH)) != 0) {
    const char* who = (facts.mode & S_IWOTH) != 0 ? "every user" : "its group";
    throw Error(ErrorCode::InvalidArgument, "the optimizedCache folder " + folder + " is writable by " + who +
                                                " (mode " + OctalMode(facts.mode) +
                                                "), who could place a model there for sentvec to run. Make it private "
                                                "(chmod go-w " +
                                                folder + ") or use another folder.");
  }
  return cache;
#endif
}

std::unique_ptr<CachedModel> OptimizedCache::Read() const {
#if defined(_WIN32)
  return nullptr;
#else
  const int fd = OpenEntry(folder_, name_, O_RDONLY);
  if (fd < 0) return nullptr;
  std::unique_ptr<CachedModel> model;
  Facts facts;
  if (Trustworthy(fd, kMaxModelBytes + kTrailerBytes, facts) && facts.size > kTrailerBytes) {
    const uint64_t length = facts.size - kTrailerBytes;
    void* data = nullptr;
    if (posix_memalign(&data, 64, static_cast<size_t>(facts.size)) == 0) {
      model.reset(new CachedModel());
      model->data_ = data;
      model->size_ = static_cast<size_t>(length);
      auto* bytes = static_cast<unsigned char*>(data);
      XXH128_hash_t hash;
      unsigned char want[kTrailerBytes];
      if (!ReadHashed(fd, facts.size, length, name_, bytes, hash)) {
        model.reset();
      } else {
        Trailer(want, length, hash);
        if (std::memcmp(want, bytes + length, kTrailerBytes) != 0) model.reset();
      }
    }
  }
  ::close(fd);
  return model;
#endif
}

std::string OptimizedCache::TemporaryPath() const {
  // Unique across processes that save the same model at once.
  std::random_device rd;
  return folderPath_ + "/" + name_ + ".tmp-" + std::to_string(rd()) + std::to_string(rd());
}

bool OptimizedCache::Commit(const std::string& temporary) const {
#if defined(_WIN32)
  std::remove(temporary.c_str());
  return false;
#else
  const std::string name = temporary.substr(temporary.rfind('/') + 1);
  bool ok = false;
  const int fd = OpenEntry(folder_, name, O_RDWR);
  if (fd >= 0) {
    Facts facts;
    XXH128_hash_t hash;
    // Private: no one else may rewrite it in place (the rule Read() applies).
    if (::fchmod(fd, S_IRUSR | S_IWUSR) == 0 && Trustworthy(fd, kMaxModelBytes, facts) && facts.size > 0 &&
        ReadHashed(fd, facts.size, facts.size, name_, nullptr, hash)) {
      unsigned char trailer[kTrailerBytes];
      Trailer(trailer, facts.size, hash);
      ssize_t n;
      do {
        n = ::pwrite(fd, trailer, kTrailerBytes, static_cast<off_t>(facts.size));
      } while (n < 0 && errno == EINTR);
      ok = n == static_cast<ssize_t>(kTrailerBytes);
    }
    // No fsync: an entry that a crash leaves incomplete fails its check and is rebuilt.
    if (::close(fd) != 0) ok = false;
  }
  ok = ok && ::renameat(folder_, name.c_str(), folder_, name_.c_str()) == 0;
  if (!ok) ::unlinkat(folder_, name.c_str(), 0);
  return ok;
#endif
}

}  // namespace sentvec
