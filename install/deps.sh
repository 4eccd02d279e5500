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

# --- private apt configurations: the machine's archive, other suites, own state folders ---
# Two of them (bookworm sources; trixie binaries) so that apt never mixes their versions.
apt_tmp=""
apt_uri=""
apt_private() { # profile: src | ort
  command -v apt-get >/dev/null || return 1
  if [ -z "$apt_tmp" ]; then
    apt_tmp=$(mktemp -d)
    trap 'rm -rf "$apt_tmp"' EXIT
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      apt_uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$apt_uri" ] && [ -f /etc/apt/sources.list ]; then
      apt_uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
  fi
  [ -n "$apt_uri" ] || return 1
  case "$apt_uri" in *debian*) ;; *) log "apt archive $apt_uri is not Debian's; skipping Debian packages"; return 1 ;; esac
  local dir="$apt_tmp/$1" key=/usr/share/keyrings/debian-archive-keyring.gpg
  APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
  [ -d "$dir" ] && return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  case "$1" in
    src) echo "deb-src [signed-by=$key] $apt_uri bookworm main" >"$dir/sources.list" ;;
    ort) echo "deb [signed-by=$key] $apt_uri $ORT_HEADERS_SUITE main" >"$dir/sources.list" ;;
  esac
  log "reading Debian package lists ($apt_uri, profile $1)"
  apt-get "${APT_OPTS[@]}" update >&2 || { rm -rf "$dir"; return 1; }
}

fetch_url() { # url dest
  command -v curl >/dev/null || return 1
  curl -fsSL --retry 2 --connect-timeout 10 -o "$2.part" "$1" && mv "$2.part" "$2"
}

# Downloads the upstream tarball of a Debian source package into $2 (the orig tarball).
debian_orig() { # package version-prefix dest
  apt_private src || return 1
  local dl; dl=$(mktemp -d)
  (cd "$dl" && apt-get "${APT_OPTS[@]}" source --download-only "$1" >&2) || { rm -rf "$dl"; return 1; }
  local orig; orig=$(ls "$dl"/"$1"_"$2"*.orig.tar.* 2>/dev/null | head -n1)
  [ -n "$orig" ] || { log "Debian's $1 source is not version $2"; rm -rf "$dl"; return 1; }
  mv "$orig" "$3"; rm -rf "$dl"
}

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
  if apt_private ort && (cd "$tmp" && apt-get "${APT_OPTS[@]}" download libonnxruntime-dev >&2); then
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

# --- a pinned source tree: from an override tarball, Debian's registry, or upstream ---
# Unpacks into $2/src-dir unless $2/.stamp-<version> says it is done; returns 1 when done already.
unpack_source() { # name prefix src-dir debian-package version override-var upstream-url
  local name=$1 prefix=$2 srcdir=$3 pkg=$4 version=$5 var=$6 url=$7
  [ -f "$prefix/.stamp-$version" ] && return 1
  rm -rf "$prefix"; mkdir -p "$prefix/$srcdir"
  local tarball="$deps/$pkg-$version.tar.gz" override="${!var:-}"
  if [ -f "$tarball" ]; then :
  elif [ -n "$override" ]; then cp "$override" "$tarball"
  elif debian_orig "$pkg" "$version" "$tarball"; then log "$name $version source from Debian's registry"
  elif fetch_url "$url" "$tarball"; then log "$name $version source from upstream"
  else die "cannot fetch the $name $version source: set $var to its release tarball"
  fi
  tar -xzf "$tarball" -C "$prefix/$srcdir" --strip-components=1
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
