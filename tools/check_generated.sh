#!/usr/bin/env bash
# Fail if the committed gen/ or openapi/ is not what tools/generate.sh produces from proto/.
# Generates in a throwaway copy of the inputs so the working tree is untouched.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cp -R "$root/proto" "$root/schemas" "$root/tools" "$root/buf.yaml" "$root/buf.gen.yaml" "$tmp/"
ln -s "$root/.venv" "$tmp/.venv"
mkdir "$tmp/var" && ln -s "$root/var/bin" "$tmp/var/bin" # protoc-gen-openapiv2
"$tmp/tools/generate.sh" >/dev/null

# __pycache__ is git-ignored and appears once gen/ has been imported.
stale=0
for dir in gen openapi; do
  diff -rq -x __pycache__ "$root/$dir" "$tmp/$dir" || stale=1
done
if [ "$stale" = 1 ]; then
  echo "gen/ or openapi/ is out of date with proto/ (files listed above): run 'make generate' and commit both." >&2
  exit 1
fi
echo "gen/ and openapi/ are up to date"
