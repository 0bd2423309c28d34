#!/usr/bin/env bash
# Lint the .proto contract, regenerate gen/ and build Envoy's descriptor set.
# Offline: uses only tools from the repo's .venv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
buf=.venv/bin/buf

tools/proto_deps.sh
"$buf" lint
"$buf" generate # buf.gen.yaml has clean: true, so gen/ is emptied first
# Envoy's grpc_json_transcoder needs every file including imports; not source info.
"$buf" build proto --exclude-source-info -o build/descriptors.binpb
echo "generated gen/ and build/descriptors.binpb"
