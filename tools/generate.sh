#!/usr/bin/env bash
# Lint the .proto contract, regenerate gen/ and openapi/ (with the schema history) and build
# Envoy's descriptor set.
# Offline: uses only tools from the repo's .venv and var/bin (both made by tools/bootstrap.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
buf=.venv/bin/buf
for tool in "$buf" var/bin/protoc-gen-openapiv2; do
  [ -x "$tool" ] || { echo "$tool is missing: run tools/bootstrap.sh (make bootstrap) first." >&2; exit 1; }
done

tools/proto_deps.sh
"$buf" lint
"$buf" generate # buf.gen.yaml has clean: true, so gen/ and openapi/ are emptied first
# Envoy's grpc_json_transcoder needs every file including imports; not source info.
"$buf" build proto --exclude-source-info -o build/descriptors.binpb
# Past versions of event schemas, as descriptor sets: `orderflow registry init` registers
# them before the current ones, so every registry holds the same history.
mkdir -p gen/history
for version in schemas/history/*/; do
  "$buf" build "$version" --exclude-source-info -o "gen/history/$(basename "$version").binpb"
done
echo "generated gen/, openapi/ and build/descriptors.binpb"
