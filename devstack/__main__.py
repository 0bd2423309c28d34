"""`python -m devstack up|down|status|logs|restart|stop|kill|probe`: the native stack's control."""

from __future__ import annotations

import argparse
import subprocess
import sys

from devstack import control, supervisor
from devstack.probes import answers
from devstack.spec import load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start components (default all) once ready").add_argument(
        "names", nargs="*"
    )
    commands.add_parser("down", help="stop every component, then supervisord")
    commands.add_parser("status", help="state and readiness of every component")
    logs = commands.add_parser("logs", help="show a component's log (default: all)")
    logs.add_argument("name", nargs="?")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("-n", "--lines", type=int, default=50)
    for verb in ("restart", "stop", "kill"):
        commands.add_parser(verb).add_argument("name")
    # docker-compose.yml's healthchecks: the same readiness as the native stack's, one attempt.
    commands.add_parser("probe", help="exit 0 if a component is ready now").add_argument("name")
    args = parser.parse_args(argv)

    try:
        if args.command == "up":
            control.up(args.names or None)
        elif args.command == "down":
            control.down()
        elif args.command == "status":
            for name, state, ready in control.status():
                print(f"{name:<16} {state:<10} {ready}")
        elif args.command == "logs":
            names = [args.name] if args.name else [p.name for p in load().ordered()]
            paths = [str(supervisor.log_path(n)) for n in names if supervisor.log_path(n).exists()]
            tail = ["tail", "-n", str(args.lines)] + (["-F"] if args.follow else [])
            return subprocess.call(tail + paths) if paths else 0
        elif args.command == "restart":
            control.restart(args.name)
        elif args.command == "stop":
            control.stop(args.name)
        elif args.command == "kill":
            control.kill(args.name)
        elif args.command == "probe":
            probe = load().processes[args.name].ready
            return 0 if probe is not None and answers(probe) else 1
    except control.StackError as error:
        print(f"devstack: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
