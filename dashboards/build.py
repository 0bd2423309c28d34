"""Every dashboard as the JSON Grafana imports, and where it is kept in the repo."""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards.kafka import kafka
from dashboards.overview import overview
from dashboards.services import SERVICES, service_dashboard

JSON_DIR = Path(__file__).parent / "json"


def dashboards() -> list[Dashboard]:
    return [overview(), kafka(), *(service_dashboard(service) for service in SERVICES)]


def rendered() -> dict[Path, str]:
    """Each dashboard's file (named by its uid) and its JSON text."""
    files = {}
    for dashboard in dashboards():
        model = dashboard.build()
        files[JSON_DIR / f"{model.uid}.json"] = (
            json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"
        )
    return files


def stale_files() -> list[Path]:
    """Files in dashboards/json/ that differ from the code, are missing, or no code builds."""
    files = rendered()
    differing = {path for path, text in files.items() if not path.exists() or path.read_text() != text}
    unbuilt = {path for path in JSON_DIR.glob("*.json") if path not in files}
    return sorted(differing | unbuilt)
