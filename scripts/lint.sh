#!/usr/bin/env bash
# npm run lint: ESLint (typescript-eslint) and Prettier over lib/, clang-format over the C++.
# npm run format (--fix): rewrites what Prettier and clang-format would change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v clang-format >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "[sentvec lint] installing clang-format" >&2
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang-format >/dev/null
fi
mapfile -t cpp < <(find native fuzz -name '*.cc' -o -name '*.h' | sort)
if [ "${1:-}" = "--fix" ]; then
  npx prettier --write "lib/**/*.{ts,mts}" >/dev/null
  clang-format -i "${cpp[@]}"
  echo "[sentvec lint] formatted" >&2
  exit 0
fi
npx eslint lib
npx prettier --check "lib/**/*.{ts,mts}"
clang-format --dry-run --Werror "${cpp[@]}"
echo "[sentvec lint] clean" >&2
