# Sourced by install/deps.sh and scripts/postgres.sh: pinned source trees and headers fetched from
# Debian's archive (through private apt configurations that never touch the system's apt state),
# else from upstream. Expects $deps, log and die.

# --- private apt configurations: the machine's archive, other suites, own state folders ---
# One per kind and suite (e.g. bookworm sources, trixie binaries), so that apt never mixes versions.
apt_tmp=""
apt_uri=""
apt_private() { # kind (src | bin) suite
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
  local dir="$apt_tmp/$1-$2" key=/usr/share/keyrings/debian-archive-keyring.gpg
  APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
  [ -d "$dir" ] && return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  local line=deb; [ "$1" = src ] && line=deb-src
  echo "$line [signed-by=$key] $apt_uri $2 main" >"$dir/sources.list"
  log "reading Debian package lists ($apt_uri, $2, $1)"
  apt-get "${APT_OPTS[@]}" update >&2 || { rm -rf "$dir"; return 1; }
}

fetch_url() { # url dest
  command -v curl >/dev/null || return 1
  curl -fsSL --retry 2 --connect-timeout 10 -o "$2.part" "$1" && mv "$2.part" "$2"
}

# Downloads the upstream tarball (the orig tarball) of a Debian source package of a suite.
debian_orig() { # package version-prefix dest suite
  apt_private src "$4" || return 1
  local dl; dl=$(mktemp -d)
  (cd "$dl" && apt-get "${APT_OPTS[@]}" source --download-only "$1" >&2) || { rm -rf "$dl"; return 1; }
  local orig; orig=$(ls "$dl"/"$1"_"$2"*.orig.tar.* 2>/dev/null | head -n1)
  [ -n "$orig" ] || { log "Debian's $1 source is not version $2"; rm -rf "$dl"; return 1; }
  mv "$orig" "$3"; rm -rf "$dl"
}

# --- a pinned source tree: from an override tarball, Debian's registry, or upstream ---
# Unpacks into $2/src-dir unless $2/.stamp-<version> says it is done; returns 1 when done already.
unpack_source() { # name prefix src-dir debian-package version override-var upstream-url [suite]
  local name=$1 prefix=$2 srcdir=$3 pkg=$4 version=$5 var=$6 url=$7 suite=${8:-bookworm}
  [ -f "$prefix/.stamp-$version" ] && return 1
  rm -rf "$prefix"; mkdir -p "$prefix/$srcdir"
  local tarball="$deps/$pkg-$version.tar.gz" override="${!var:-}"
  if [ -f "$tarball" ]; then :
  elif [ -n "$override" ]; then cp "$override" "$tarball"
  elif debian_orig "$pkg" "$version" "$tarball" "$suite"; then log "$name $version source from Debian's registry"
  elif fetch_url "$url" "$tarball"; then log "$name $version source from upstream"
  else die "cannot fetch the $name $version source: set $var to its release tarball"
  fi
  tar -xzf "$tarball" -C "$prefix/$srcdir" --strip-components=1
}
