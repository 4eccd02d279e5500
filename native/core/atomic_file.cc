#include "atomic_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "error.h"

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace sentvec {

namespace {

void WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
#if defined(_WIN32)
    const auto n = _write(fd, data.data() + done, static_cast<unsigned>(std::min<size_t>(data.size() - done, 1 << 30)));
#else
    const auto n = ::write(fd, data.data() + done, data.size() - done);
#endif
    if (n <= 0) throw Error(ErrorCode::Io, "cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void WriteFileAtomically(const std::string& path, const std::string& data) {
#if !defined(_WIN32)
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string prefix = path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp-";
  // The kernel releases the lock when a process dies, so leftovers found under it are a dead
  // writer's.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (dfd >= 0 && ::flock(dfd, LOCK_EX) == 0) {
    if (DIR* d = ::fdopendir(::dup(dfd))) {
      while (const dirent* entry = ::readdir(d)) {
        if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0) ::unlinkat(dfd, entry->d_name, 0);
      }
      ::closedir(d);
    }
  }
  struct DirGuard {
    int fd;
    ~DirGuard() {
      if (fd >= 0) ::close(fd);  // also releases the lock
    }
  } dirGuard{dfd};
#endif
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(rd()) + std::to_string(rd());
#if defined(_WIN32)
  int fd = _open(tmp.c_str(), _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY, 0644);
#else
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
#endif
  if (fd < 0) throw Error(ErrorCode::Io, "cannot create " + tmp + ": " + std::strerror(errno), path);
  try {
    WriteAll(fd, data, tmp);
#if !defined(_WIN32)
    if (::fsync(fd) != 0) throw Error(ErrorCode::Io, "cannot flush " + tmp + ": " + std::strerror(errno), path);
    ::close(fd);
#else
    _commit(fd);
    _close(fd);
#endif
    fd = -1;
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw Error(ErrorCode::Io, "cannot move " + tmp + " to " + path + ": " + std::strerror(errno), path);
    }
  } catch (...) {
#if !defined(_WIN32)
    if (fd >= 0) ::close(fd);
#else
    if (fd >= 0) _close(fd);
#endif
    std::remove(tmp.c_str());
    throw;
  }
#if !defined(_WIN32)
  // The rename itself must reach the disk.
  if (dfd >= 0) ::fsync(dfd);
#endif
}

}  // namespace sentvec
