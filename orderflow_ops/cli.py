"""`orderflow`: operator commands for topics, the schema registry and demo stock."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from aggregator.entrypoints import cli as metrics_cli
from orderflow_ops import audit, connect, demo, replay, topics
from orderflow_ops.registry import RegistryAdmin
from orderflow_ops.schemas import EVENTS, SchemaCatalogue
from orderflow_ops.settings import OpsSettings
from orderflow_platform.kafka.clients import admin_client
from orderflow_platform.settings import RegistrySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orderflow", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)
    topic_commands = groups.add_parser("topics", help="provision topics from config/topics.yaml")
    topic_commands.add_argument("action", choices=["apply", "check"])
    registry_commands = groups.add_parser("registry", help="schema registry administration")
    registry_commands.add_argument("action", choices=["init"])
    schema_commands = groups.add_parser("schemas", help="proto/'s event schemas against the registry")
    schema_actions = schema_commands.add_subparsers(dest="action", required=True)
    schema_actions.add_parser("check", help="are they compatible with every registered version?")
    schema_actions.add_parser("register", help="register them (a deploy step, before the producers)")
    schema_actions.add_parser("history", help="a subject's versions and their fields").add_argument("topic")
    stock_commands = groups.add_parser("stock", help="demo stock, set through InventoryService")
    stock_commands.add_argument("action", choices=["seed"])
    stock_commands.add_argument("--quantity", type=int, default=100, help="on-hand units per SKU")
    stock_commands.add_argument("--target", default="localhost:8080", help="gRPC address (Envoy)")
    groups.add_parser("replay", help="rebuild the read models from the topics and swap them in")
    connect_commands = groups.add_parser("connect", help="Kafka Connect connectors from stack/connect/")
    connect_commands.add_argument(
        "action", choices=["apply", "run"], help="run: apply, then restart failed tasks"
    )
    connect_commands.add_argument("name", nargs="?", default=connect.AUDIT_CONNECTOR)
    connect_commands.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a key of the file"
    )
    groups.add_parser("audit", help="an order's audit trail (schema audit)").add_argument("order_id")
    metrics_commands = groups.add_parser("metrics", help="orders per minute, through MetricsService")
    metrics_commands.add_argument("action", choices=["rate"])
    metrics_commands.add_argument(
        "--minutes", type=int, help="how many minutes back, the current one included (60)"
    )
    metrics_commands.add_argument("--target", default="localhost:8080", help="gRPC address (Envoy)")
    args = parser.parse_args(argv)
    settings = OpsSettings()

    if args.group == "topics":
        admin = admin_client(settings.kafka)
        specs = topics.load_specs()
        if args.action == "apply":
            remaining = topics.apply(admin, specs, settings.kafka.replication_factor)
        else:
            remaining = topics.drift(admin, specs)
        for line in remaining:
            print(f"drift: {line}")
        print(f"{len(specs)} topics in {topics.TOPICS_FILE.name}, {len(remaining)} drifting")
        # apply leaves only what needs a person (partition counts); check fails on any drift.
        return 1 if remaining and args.action == "check" else 0
    if args.group == "stock":
        outcomes = list(demo.seed_stock(args.target, args.quantity))
        for sku, outcome in outcomes:
            print(f"{sku}: {outcome}")
        return 1 if any(outcome.startswith("not set") for _sku, outcome in outcomes) else 0
    # Commands that need only the settings and their own arguments.
    commands: dict[str, Callable[[], int]] = {
        "replay": lambda: replay.command(settings),
        "connect": lambda: connect.command(settings, args.action, args.name, args.set),
        "audit": lambda: audit.command(settings.postgres, args.order_id),
        "schemas": lambda: schemas_command(
            SchemaCatalogue(settings.registry), args.action, getattr(args, "topic", None)
        ),
        "registry": lambda: registry_init(settings.registry),
    }
    if args.group in commands:
        return commands[args.group]()
    if args.group == "metrics":
        status, lines = metrics_cli.rate(args.target, args.minutes)
        print("\n".join(lines), file=sys.stdout if status == 0 else sys.stderr)
        return status
    return 0


def registry_init(settings: RegistrySettings) -> int:
    RegistryAdmin(settings).set_compatibility(settings.compatibility)
    print(f"registry: global compatibility {settings.compatibility}")
    # The schemas' history, then the current versions: a deploy step before any producer.
    return schemas_command(SchemaCatalogue(settings), "register", None)


def schemas_command(catalogue: SchemaCatalogue, action: str, topic: str | None) -> int:
    if action == "history":
        assert topic is not None
        if topic not in EVENTS:
            print(f"no event schema for {topic}; known: {', '.join(EVENTS)}", file=sys.stderr)
            return 2
        for version in catalogue.history(topic):
            changes = ", ".join([f"+{f}" for f in version.added] + [f"-{f}" for f in version.removed])
            print(f"version {version.version} (id {version.schema_id}): {changes or 'no field changes'}")
        return 0
    verdicts = list(catalogue.check() if action == "check" else catalogue.register())
    for verdict in verdicts:
        print(f"{'ok ' if verdict.ok else 'NO '} {verdict.subject}: {verdict.detail}")
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
