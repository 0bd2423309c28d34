#!/usr/bin/env bash
# Creates the cluster on first start only; later starts find the same data.
set -euo pipefail
data="$1"
[ -f "$data/PG_VERSION" ] && exit 0
mkdir -p "$data"
pwfile=$(mktemp)
echo postgres > "$pwfile"   # the dev stack's superuser password; never used outside loopback
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$(dirname "$data")" "$pwfile"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" /usr/lib/postgresql/15/bin/initdb -D "$data" -U postgres --pwfile="$pwfile" \
  --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C.UTF-8 >/dev/null
rm -f "$pwfile"
