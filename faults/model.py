"""What the suite records and observes, as plain values: the verdict is computed from these alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Accepted:
    """An order the stack acknowledged, with the key it was sent under (None: unkeyed)."""

    order_id: str
    user_id: str
    key: str | None
    channel: str


@dataclass(frozen=True)
class KeyMismatch:
    """A keyed request sent again after its answer, answered with another order."""

    user_id: str
    key: str
    first: str
    second: str


@dataclass(frozen=True)
class Sent:
    """What the load driver knows: every accepted order and every request left unanswered."""

    accepted: tuple[Accepted, ...] = ()
    abandoned_keys: tuple[tuple[str, str], ...] = ()
    ambiguous_unkeyed: int = 0
    key_mismatches: tuple[KeyMismatch, ...] = ()
    refused: tuple[str, ...] = ()
    # Requests that got an error or no answer, sent again or not.
    unanswered: int = 0


@dataclass(frozen=True)
class Created:
    order_id: str
    user_id: str
    key: str


@dataclass(frozen=True)
class Outcome:
    order_id: str
    confirmed: bool
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class StockLevel:
    on_hand: int
    reserved: int


@dataclass(frozen=True)
class Poison:
    """A record the suite produced that no consumer can decode, where it landed."""

    topic: str
    partition: int
    offset: int
    kind: str


@dataclass(frozen=True)
class Parked:
    """A DLQ record: which consumer parked which input record."""

    consumer: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Notice:
    sink: str
    kind: str
    state: str


@dataclass
class Observed:
    """The run's own data as the stack holds it: topics (read_committed), Postgres, mailbox."""

    created: list[Created] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    # Every StockLevel of each SKU, in changelog order.
    stock_changes: dict[str, list[StockLevel]] = field(default_factory=dict)
    stock_rows: dict[str, StockLevel] = field(default_factory=dict)
    # GetStock through Envoy: on_hand, reserved, available.
    stock_reads: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    order_rows: dict[str, str] = field(default_factory=dict)
    notices: dict[str, list[Notice]] = field(default_factory=dict)
    # Mail kinds found in the mailbox per order ("confirmed", "out_of_stock").
    mails: dict[str, set[str]] = field(default_factory=dict)
    # Orders whose mail the catcher received more than once (it keeps one copy per Message-ID).
    resent: set[str] = field(default_factory=set)
    poison: list[Poison] = field(default_factory=list)
    parked: list[Parked] = field(default_factory=list)


@dataclass(frozen=True)
class Violation:
    """One broken promise; `pending` ones may still resolve while the stack catches up."""

    check: str
    subject: str
    detail: str = ""
    pending: bool = False

    @property
    def identity(self) -> tuple[str, str]:
        return self.check, self.subject


ConsumersByTopic = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class RunIds:
    """Users and SKUs nobody else uses, so the suite counts only its own data."""

    run: str
    users: int = 48
    sku_count: int = 8

    @property
    def user_prefix(self) -> str:
        return f"flt-{self.run}-"

    def user(self, n: int) -> str:
        return f"{self.user_prefix}u{n % self.users}"

    @property
    def sku_prefix(self) -> str:
        return f"FLT{self.run.upper()}-"

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(f"{self.sku_prefix}{n}" for n in range(self.sku_count))

    @property
    def poison_prefix(self) -> str:
        return f"poison-{self.run}-"
