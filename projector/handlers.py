"""The projection use case."""

from __future__ import annotations

from collections.abc import Iterable

from projector.domain.model import Event, fold
from projector.domain.ports import ReadModels


def project(events: Iterable[Event], models: ReadModels) -> None:
    changes = fold(events)
    models.place(changes.placed)
    models.decide(changes.decided)
    models.set_stock(changes.stock)
    models.count_minutes(changes.minutes)
