"""`python -m dashboards` writes dashboards/json/ from the code; `--check` only compares."""

from __future__ import annotations

import argparse
import sys

from dashboards.build import JSON_DIR, rendered, stale_files


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when dashboards/json/ is stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path.name}: not what `python -m dashboards` builds", file=sys.stderr)
        return 1 if stale else 0
    files = rendered()
    JSON_DIR.mkdir(exist_ok=True)
    for path in JSON_DIR.glob("*.json"):
        if path not in files:
            path.unlink()
    for path, text in files.items():
        path.write_text(text)
    print(f"{len(files)} dashboards in {JSON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
