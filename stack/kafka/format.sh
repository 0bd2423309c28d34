#!/usr/bin/env bash
# Formats the KRaft log directory on first start only; later starts keep topics and events.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="$1"
[ -f "$data/meta.properties" ] && exit 0
mkdir -p "$data"
cp="$root/var/lib/kafka/*"
config=$(mktemp)
trap 'rm -f "$config"' EXIT
{ cat "$root/stack/kafka/server.properties"; echo "log.dirs=$data"; } > "$config"
cluster_id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)
java -Dlog4j2.configurationFile="$root/stack/kafka/log4j2.yaml" -cp "$cp" \
  kafka.tools.StorageTool format --standalone --cluster-id "$cluster_id" --config "$config" >/dev/null
