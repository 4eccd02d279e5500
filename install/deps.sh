#!/usr/bin/env bash
# Fetches and builds the native dependencies of the addon into deps/ (git-ignored, cached):
#   deps/onnxruntime/include   ONNX Runtime C/C++ headers (the library itself comes from onnxruntime-node)
#   deps/sentencepiece         static, position-independent libsentencepiece.a, its headers and
#                              spm_train (pinned source)
#   deps/utf8proc              utf8proc source (compiled into the addon: NFKC + case mapping)
#   deps/xxhash                xxHash source (header-only: checksums of saved indexes)
# Each step is skipped when its stamp file exists, so a rebuild costs nothing.
# Sources, in order: an explicit override (ORT_ROOT, SPM_SOURCE_TARBALL, UTF8PROC_SOURCE_TARBALL,
# XXHASH_SOURCE_TARBALL),
# the system, Debian's registry (read from this machine's apt configuration; nothing is installed
# into the system), and the upstream release archives where the internet is reachable.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/deps"
SPM_VERSION=0.1.97
SPM_BUILD=2  # bump when the build flags change, so cached builds are redone
UTF8PROC_VERSION=2.8.0
XXHASH_VERSION=0.8.1
ORT_HEADERS_SUITE=trixie   # libonnxruntime-dev 1.21 (C API 21); runs against the 1.30 library
mkdir -p "$deps"
log() { printf '[sentvec deps] %s\n' "$*" >&2; }
die() { printf '[sentvec deps] error: %s\n' "$*" >&2; exit 1; }

source "$root/install/fetch.sh"

# --- ONNX Runtime headers ---
ort_headers() {
  local dest="$deps/onnxruntime/include"
  if [ -f "$dest/onnxruntime_cxx_api.h" ]; then return; fi
  mkdir -p "$dest"
  local src=""
  if [ -n "${ORT_ROOT:-}" ]; then
    for d in "$ORT_ROOT/include/onnxruntime" "$ORT_ROOT/include"; do
      [ -f "$d/onnxruntime_cxx_api.h" ] && src=$d && break
    done
    [ -n "$src" ] || die "ORT_ROOT=$ORT_ROOT has no include/onnxruntime_cxx_api.h"
  elif [ -f /usr/include/onnxruntime/onnxruntime_cxx_api.h ]; then
    src=/usr/include/onnxruntime
  fi
  if [ -n "$src" ]; then
    log "ONNX Runtime headers from $src"
    cp "$src"/*.h "$dest/"
    return
  fi
  local tmp; tmp=$(mktemp -d)
  if apt_private bin "$ORT_HEADERS_SUITE" && (cd "$tmp" && apt-get "${APT_OPTS[@]}" download libonnxruntime-dev >&2); then
    dpkg-deb -x "$tmp"/libonnxruntime-dev_*.deb "$tmp/x"
    cp "$tmp"/x/usr/include/onnxruntime/*.h "$dest/"
    log "ONNX Runtime headers from Debian $ORT_HEADERS_SUITE libonnxruntime-dev"
  elif fetch_url "https://github.com/microsoft/onnxruntime/releases/download/v1.21.0/onnxruntime-linux-x64-1.21.0.tgz" "$tmp/ort.tgz"; then
    tar -xzf "$tmp/ort.tgz" -C "$tmp"
    cp "$tmp"/onnxruntime-linux-*/include/*.h "$dest/"
    log "ONNX Runtime headers from the official release archive"
  else
    rm -rf "$tmp" "$deps/onnxruntime"
    die "no ONNX Runtime headers: set ORT_ROOT to an ONNX Runtime release folder (with include/), install libonnxruntime-dev, or allow access to Debian's archive"
  fi
  rm -rf "$tmp"
}

sentencepiece() {
  local prefix="$deps/sentencepiece"
  [ -f "$prefix/.stamp-$SPM_VERSION" ] && [ ! -f "$prefix/.build-$SPM_BUILD" ] && rm -f "$prefix/.stamp-$SPM_VERSION"
  unpack_source SentencePiece "$prefix" src sentencepiece "$SPM_VERSION" SPM_SOURCE_TARBALL \
    "https://github.com/google/sentencepiece/archive/refs/tags/v$SPM_VERSION.tar.gz" || return 0
  local gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  local compat=()
  if [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; then
    # Same glibc floor as the addon: native/compat/glibc_compat.h.
    local c="-I$root/native/compat -include $root/native/compat/glibc_compat.h"
    compat=("-DCMAKE_C_FLAGS=$c" "-DCMAKE_CXX_FLAGS=$c")
  fi
  log "building SentencePiece $SPM_VERSION (static, PIC)"
  cmake -S "$prefix/src" -B "$prefix/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "${compat[@]}" \
    -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -Wno-dev >/dev/null
  # spm_train (same pinned version) trains the test models' vocabularies.
  cmake --build "$prefix/build" --target sentencepiece-static spm_train -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  mkdir -p "$prefix/lib" "$prefix/bin"
  cp "$(find "$prefix/build" -name 'libsentencepiece.a' | head -n1)" "$prefix/lib/"
  cp "$(find "$prefix/build" -name 'spm_train' -type f | head -n1)" "$prefix/bin/"
  touch "$prefix/.stamp-$SPM_VERSION" "$prefix/.build-$SPM_BUILD"
}

utf8proc() {
  local prefix="$deps/utf8proc"
  unpack_source utf8proc "$prefix" . utf8proc "$UTF8PROC_VERSION" UTF8PROC_SOURCE_TARBALL \
    "https://github.com/JuliaStrings/utf8proc/archive/refs/tags/v$UTF8PROC_VERSION.tar.gz" || return 0
  [ -f "$prefix/utf8proc.c" ] || die "the utf8proc tarball has no utf8proc.c"
  touch "$prefix/.stamp-$UTF8PROC_VERSION"
}

xxhash() {
  local prefix="$deps/xxhash"
  unpack_source xxHash "$prefix" . xxhash "$XXHASH_VERSION" XXHASH_SOURCE_TARBALL \
    "https://github.com/Cyan4973/xxHash/archive/refs/tags/v$XXHASH_VERSION.tar.gz" || return 0
  [ -f "$prefix/xxhash.h" ] || die "the xxHash tarball has no xxhash.h"
  touch "$prefix/.stamp-$XXHASH_VERSION"
}

ort_headers
sentencepiece
utf8proc
xxhash
log "ready in $deps"
