"""The invariants of DESIGN.md §4 counted over one run's data: pure, so it is tested with fakes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from faults.model import ConsumersByTopic, Observed, Outcome, Sent, StockLevel, Violation

STATUS = {True: "CONFIRMED", False: "REJECTED"}
MAIL_KIND = {True: "confirmed", False: "out_of_stock"}


def verdict(sent: Sent, observed: Observed, consumers: ConsumersByTopic) -> list[Violation]:
    decided = decisions(observed.outcomes)
    return [
        *intake(sent, observed),
        *outcomes(observed),
        *stock(observed, decided),
        *read_models(observed, decided),
        *mail(observed, decided),
        *dead_letters(observed, consumers),
    ]


def decisions(outcomes: Iterable[Outcome]) -> dict[str, Outcome]:
    """The first outcome of each order (a second one is a violation of its own)."""
    first: dict[str, Outcome] = {}
    for outcome in outcomes:
        first.setdefault(outcome.order_id, outcome)
    return first


def intake(sent: Sent, observed: Observed) -> list[Violation]:
    found: list[Violation] = []
    per_order = Counter(c.order_id for c in observed.created)
    for order in sent.accepted:
        if order.order_id not in per_order:
            found.append(Violation("accepted, no OrderCreated", order.order_id, order.channel, pending=True))
    for order_id, count in per_order.items():
        if count > 1:
            found.append(Violation("OrderCreated duplicated", order_id, f"{count} times"))
    per_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for created in observed.created:
        if created.key:
            per_key[created.user_id, created.key].add(created.order_id)
    for (user_id, key), order_ids in per_key.items():
        if len(order_ids) > 1:
            found.append(
                Violation("one key, several orders", f"{user_id}/{key}", ", ".join(sorted(order_ids)))
            )
    found += [
        Violation(
            "retried key answered with another order", f"{m.user_id}/{m.key}", f"{m.first} then {m.second}"
        )
        for m in sent.key_mismatches
    ]
    found += [Violation("keyed request never answered", f"{user}/{key}") for user, key in sent.abandoned_keys]
    found += [Violation("valid order refused", reason) for reason in sent.refused]
    acknowledged = {order.order_id for order in sent.accepted}
    unknown = {c.order_id for c in observed.created if not c.key and c.order_id not in acknowledged}
    if len(unknown) > sent.ambiguous_unkeyed:
        found.append(
            Violation(
                "OrderCreated nobody was answered for",
                f"{len(unknown)} unkeyed",
                f"only {sent.ambiguous_unkeyed} unkeyed requests failed",
            )
        )
    return found


def outcomes(observed: Observed) -> list[Violation]:
    per_order = Counter(o.order_id for o in observed.outcomes)
    found = [
        Violation("no outcome", order_id, pending=True)
        for order_id in dict.fromkeys(c.order_id for c in observed.created)
        if order_id not in per_order
    ]
    found += [
        Violation("outcome duplicated", order_id, f"{count} outcomes")
        for order_id, count in per_order.items()
        if count > 1
    ]
    return found


def stock(observed: Observed, decided: dict[str, Outcome]) -> list[Violation]:
    confirmed_units: Counter[str] = Counter()
    for outcome in decided.values():
        if outcome.confirmed:
            for line in outcome.lines:
                confirmed_units[line.sku] += line.quantity
    found: list[Violation] = []
    for sku, changes in observed.stock_changes.items():
        oversold = [c for c in changes if not 0 <= c.reserved <= c.on_hand]
        if oversold:
            found.append(
                Violation("oversold", sku, f"on_hand {oversold[0].on_hand}, reserved {oversold[0].reserved}")
            )
        latest = changes[-1]
        if latest.reserved != confirmed_units[sku]:
            detail = f"reserved {latest.reserved}, confirmed orders hold {confirmed_units[sku]}"
            found.append(Violation("reserved differs from confirmed units", sku, detail, pending=True))
        row = observed.stock_rows.get(sku)
        if row != latest:
            found.append(
                Violation(
                    "stock_levels differs from inventory.stock", sku, f"{row} vs {latest}", pending=True
                )
            )
        read = observed.stock_reads.get(sku)
        if read is not None and read[0] != read[1] + read[2]:
            found.append(Violation("GetStock: available + reserved != on_hand", sku, str(read)))
        elif read is not None and StockLevel(read[0], read[1]) != latest:
            detail = f"{read} vs {latest}"
            found.append(Violation("GetStock differs from inventory.stock", sku, detail, pending=True))
    return found


def read_models(observed: Observed, decided: dict[str, Outcome]) -> list[Violation]:
    found: list[Violation] = []
    for order_id in dict.fromkeys(c.order_id for c in observed.created):
        row = observed.order_rows.get(order_id)
        outcome = decided.get(order_id)
        wanted = "PENDING" if outcome is None else STATUS[outcome.confirmed]
        if row is None:
            found.append(Violation("order missing from the read model", order_id, pending=True))
        elif row != wanted:
            settled_wrong = outcome is not None and row != "PENDING"
            found.append(
                Violation(
                    "read model status differs", order_id, f"{row}, outcome {wanted}", not settled_wrong
                )
            )
    return found


def mail(observed: Observed, decided: dict[str, Outcome]) -> list[Violation]:
    found: list[Violation] = []
    for order_id, outcome in decided.items():
        kinds = observed.mails.get(order_id, set())
        wanted = MAIL_KIND[outcome.confirmed]
        if kinds - {wanted}:
            found.append(Violation("mail of the other outcome", order_id, ", ".join(sorted(kinds))))
        elif wanted not in kinds:
            found.append(Violation("no mail", order_id, wanted, pending=True))
        parked = [n for n in observed.notices.get(order_id, []) if n.state == "parked"]
        found += [Violation("notice parked", order_id, n.sink) for n in parked]
    return found


def dead_letters(observed: Observed, consumers: ConsumersByTopic) -> list[Violation]:
    parked = Counter((p.consumer, p.topic, p.partition, p.offset) for p in observed.parked)
    found: list[Violation] = []
    for poison in observed.poison:
        for consumer in sorted(consumers.get(poison.topic, frozenset())):
            count = parked[consumer, poison.topic, poison.partition, poison.offset]
            subject = f"{poison.kind} on {poison.topic}[{poison.partition}]@{poison.offset} by {consumer}"
            if count == 0:
                found.append(Violation("poison not parked", subject, pending=True))
            elif count > 1:
                found.append(Violation("poison parked more than once", subject, f"{count} times"))
    return found
