#!/usr/bin/env bash
# Before a registry version first starts on the registry database, keep a dump of it:
# Apicurio migrates its tables in place on start and cannot go back.
# Usage: backup.sh VERSION BACKUP_DIR (connection from PG* / the registry's own role).
set -euo pipefail
version=$1 backups=$2
stamp="$backups/.registry-$version"
[ -f "$stamp" ] && exit 0
mkdir -p "$backups"
tables=$(psql -h localhost -U registry -d registry -tAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" -gt 0 ]; then
  dump="$backups/registry-before-$version-$(date -u +%Y%m%dT%H%M%SZ).dump"
  pg_dump -h localhost -U registry -Fc -f "$dump" registry
  echo "registry database dumped to $dump before $version starts on it"
fi
touch "$stamp"
