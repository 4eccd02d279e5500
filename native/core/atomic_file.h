// Replacing a file so that readers and crashes see the old content or the new, never a mix.
#pragma once

#include <string>

namespace sentvec {

// Writes `data` to a temporary file beside `path`, flushes it, renames it over `path` and flushes
// the folder. A write that is killed can leave a `<path>.tmp-*` file; the next write of that path
// removes it (on POSIX, writers into one folder serialize on a lock of it, so a temporary file
// found while holding the lock belongs to a dead writer). Failures are ERR_IO naming `path`.
void WriteFileAtomically(const std::string& path, const std::string& data);

}  // namespace sentvec
