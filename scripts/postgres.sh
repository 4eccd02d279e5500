#!/usr/bin/env bash
# Makes PostgreSQL + pgvector available to the tests and benchmarks of the PostgreSQL store
# (test/helpers/postgres.mjs starts a throw-away cluster of its own; nothing here starts a server):
#   - a PostgreSQL server: the system's newest /usr/lib/postgresql/<major>, else Debian's or Ubuntu's
#     `postgresql` package;
#   - pgvector $PGVECTOR_VERSION built from source (Debian trixie's source package, else the
#     upstream archive; PGVECTOR_SOURCE_TARBALL overrides) against that server with
#     postgresql-server-dev-<major>, and installed into the server's folders (needs root or sudo).
# Skipped when the server already has that pgvector. Run by `scripts/setup.sh --test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/deps"
PGVECTOR_VERSION=0.8.0
mkdir -p "$deps"
log() { printf '[sentvec postgres] %s\n' "$*" >&2; }
die() { printf '[sentvec postgres] error: %s\n' "$*" >&2; exit 1; }
source "$root/install/fetch.sh"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  log "installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

newest_server() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n1; }
server=$(newest_server)
if [ -z "$server" ]; then
  apt_install postgresql
  server=$(newest_server)
  [ -n "$server" ] || die "installing 'postgresql' gave no server under /usr/lib/postgresql"
fi
major=$(basename "$(dirname "$(dirname "$server")")")
bindir=$(dirname "$server")

# pg_config comes with the server-dev package; the server's own folders are what it reports.
installed "postgresql-server-dev-$major" || apt_install "postgresql-server-dev-$major"
pg_config="$bindir/pg_config"
[ -x "$pg_config" ] || pg_config=/usr/bin/pg_config
control="$("$pg_config" --sharedir)/extension/vector.control"
if [ -f "$control" ] && grep -q "default_version = '$PGVECTOR_VERSION'" "$control"; then
  log "pgvector $PGVECTOR_VERSION is installed for PostgreSQL $major"
  exit 0
fi

prefix="$deps/pgvector"
unpack_source pgvector "$prefix" src pgvector "$PGVECTOR_VERSION" PGVECTOR_SOURCE_TARBALL \
  "https://github.com/pgvector/pgvector/archive/refs/tags/v$PGVECTOR_VERSION.tar.gz" trixie || true
log "building pgvector $PGVECTOR_VERSION for PostgreSQL $major"
# OPTFLAGS="" leaves out -march=native: the build runs on the machine it serves, but the
# portable build is what packagers ship and what the store's benchmarks should measure.
make -C "$prefix/src" PG_CONFIG="$pg_config" OPTFLAGS="" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
$sudo make -C "$prefix/src" PG_CONFIG="$pg_config" OPTFLAGS="" install >/dev/null
touch "$prefix/.stamp-$PGVECTOR_VERSION"
log "pgvector $PGVECTOR_VERSION installed for PostgreSQL $major"
