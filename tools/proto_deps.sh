#!/usr/bin/env bash
# Copy google/api/{annotations,http}.proto into build/proto-deps/ (git-ignored),
# where buf.yaml expects them. They are third-party, so not kept in git; the
# installed googleapis-common-protos wheel ships them, and also provides their
# _pb2 modules at runtime, so build and runtime agree on the version.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
api_dir="$(.venv/bin/python -c 'import google.api.http_pb2 as m, os; print(os.path.dirname(m.__file__))')"
rm -rf build/proto-deps
mkdir -p build/proto-deps/google/api
cp "$api_dir/annotations.proto" "$api_dir/http.proto" build/proto-deps/google/api/
