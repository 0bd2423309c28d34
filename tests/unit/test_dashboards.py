"""The dashboards' JSON in the repo is exactly what dashboards/ builds, so no one edits it by hand."""

from __future__ import annotations

import json

from dashboards.build import rendered, stale_files


def test_committed_json_is_what_the_code_builds() -> None:
    stale = [path.name for path in stale_files()]
    assert not stale, f"{stale} differ from the code: run `.venv/bin/python -m dashboards`"


def test_every_panel_queries_prometheus() -> None:
    for text in rendered().values():
        model = json.loads(text)
        for panel in model["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{model['uid']}: {panel['title']} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
