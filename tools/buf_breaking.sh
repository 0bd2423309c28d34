#!/usr/bin/env bash
# Fail on wire/source-breaking changes to proto/ compared with a git ref
# (default: main). Offline: the ref's proto/ is extracted from the local git
# objects, so no BSR or network. On main itself (e.g. CI on a fresh clone with
# HEAD == main) this compares main with itself, plus any uncommitted edits.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ref="${1:-main}"

# CI clones often have only origin/main, not a local main branch.
if ! git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
  if git rev-parse -q --verify "origin/$ref^{commit}" >/dev/null; then
    ref="origin/$ref"
  else
    echo "buf breaking: no commit for '$ref' yet; nothing to compare against, skipping."
    exit 0
  fi
fi
if [[ -z "$(git ls-tree "$ref" proto)" ]]; then
  echo "buf breaking: '$ref' has no proto/ yet; nothing to compare against, skipping."
  exit 0
fi

# The baseline needs the same google/api imports, which are not in git:
# pair the ref's proto/ with this checkout's buf.yaml and build/proto-deps.
tools/proto_deps.sh
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git archive "$ref" proto | tar -x -C "$tmp"
mkdir -p "$tmp/build"
cp -R build/proto-deps "$tmp/build/"
cp buf.yaml "$tmp/"

.venv/bin/buf breaking proto --against "$tmp/proto"
echo "buf breaking: no breaking changes against $ref"
