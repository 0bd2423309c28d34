#!/usr/bin/env bash
# Fail if the committed gen/ is not what tools/generate.sh produces from proto/.
# Generates in a throwaway copy of the inputs so the working tree is untouched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cp -R "$root/proto" "$root/tools" "$root/buf.yaml" "$root/buf.gen.yaml" "$tmp/"
ln -s "$root/.venv" "$tmp/.venv"
"$tmp/tools/generate.sh" >/dev/null

# __pycache__ is git-ignored and appears once gen/ has been imported.
if ! diff -rq -x __pycache__ "$root/gen" "$tmp/gen"; then
  echo "gen/ is out of date with proto/ (files listed above): run 'make generate' and commit gen/." >&2
  exit 1
fi
echo "gen/ is up to date"
