#!/usr/bin/env bash
# One-step set-up on Debian/Ubuntu: system packages, npm dependencies, native dependencies
# (install/deps.sh) and the build. Safe to run again; finished steps are cached.
# --test also makes PostgreSQL + pgvector available for the store's tests (scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
with_tests=false
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=true ;;
    *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

need_node_major=20
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "sentvec needs Node.js >= $need_node_major with npm; install it first (e.g. from nodejs.org or NodeSource)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt "$need_node_major" ]; then
  echo "sentvec needs Node.js >= $need_node_major; this is $(node --version)" >&2
  exit 1
fi

# Build tools. dpkg-deb and apt-get (for install/deps.sh) are part of every Debian/Ubuntu system.
packages=(g++ make cmake ninja-build python3 ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "[sentvec setup] installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies (.npmrc skips onnxruntime-node's CUDA download), without running the
# package's own install script: the build below does it.
if [ -f package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
else
  npm install --ignore-scripts --no-audit --no-fund
fi
npm run build
$with_tests && bash scripts/postgres.sh
exit 0
