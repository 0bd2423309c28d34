#!/usr/bin/env bash
# Before Envoy starts (stack/stack.yaml `prepare`): build the descriptor set its JSON
# transcoder reads into var/envoy/descriptors.binpb, from this checkout's proto/, and
# render envoy/envoy.yaml into var/envoy/envoy.yaml with {root} made absolute.
# Offline and quick: one `buf build`, not the whole of tools/generate.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x .venv/bin/buf ] || { echo ".venv/bin/buf is missing: run tools/bootstrap.sh (make bootstrap) first." >&2; exit 1; }
mkdir -p var/envoy

tools/proto_deps.sh
# Every file including imports, no source info: what grpc_json_transcoder needs.
.venv/bin/buf build proto --exclude-source-info -o var/envoy/descriptors.binpb
# Plus google/rpc/error_details.proto: the services put a google.rpc.BadRequest in
# grpc-status-details-bin, and the transcoder can only turn a status into a JSON body
# when it knows every type in its details (else REST callers get an empty body).
.venv/bin/python - var/envoy/descriptors.binpb <<'PY'
import sys
from google.protobuf import descriptor_pb2, duration_pb2
from google.rpc import error_details_pb2

path = sys.argv[1]
files = descriptor_pb2.FileDescriptorSet.FromString(open(path, "rb").read())
present = {f.name for f in files.file}
for module in (duration_pb2, error_details_pb2):  # dependencies first
    if module.DESCRIPTOR.name not in present:
        module.DESCRIPTOR.CopyToProto(files.file.add())
open(path, "wb").write(files.SerializeToString())
PY

sed "s#{root}#$root#g" envoy/envoy.yaml >var/envoy/envoy.yaml.tmp
mv var/envoy/envoy.yaml.tmp var/envoy/envoy.yaml
