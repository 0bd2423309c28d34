"""Steady, bounded load: keyed and unkeyed CreateOrder on every channel, and SetStock updates.

Every accepted order is recorded with its key. A keyed request is sent again with the same
key after any transient error until it is answered (those are the ones that must not
duplicate); an unkeyed one is not, and its failure is counted as an unknown outcome.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from functools import partial

from faults.channels import OrderChannel, OrderRequest, Refused, Stock, Unanswered, order_channels
from faults.model import Accepted, KeyMismatch, Line, RunIds, Sent
from tests.integration.helpers import eventually

KEY_SECONDS = 120.0
FIRST_BACKOFF, MAX_BACKOFF = 0.2, 2.0
# Every fifth answered key is sent once more: the answer must name the same order.
RESEND_EVERY = 5
STOCK_EVERY_SECONDS = 1.0
WORKERS = 4
SEED_SECONDS = 60.0


class Ledger:
    """What the load driver sent and was answered, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._abandoned: list[tuple[str, str]] = []
        self._mismatches: list[KeyMismatch] = []
        self._refused: list[str] = []
        self._ambiguous = 0
        self._per_channel: Counter[str] = Counter()
        self._unanswered = 0

    def accepted(self, order: Accepted) -> None:
        with self._lock:
            self._accepted.append(order)
            self._per_channel[order.channel] += 1

    def abandoned(self, user_id: str, key: str) -> None:
        with self._lock:
            self._abandoned.append((user_id, key))

    def mismatch(self, mismatch: KeyMismatch) -> None:
        with self._lock:
            self._mismatches.append(mismatch)

    def refused(self, reason: str) -> None:
        with self._lock:
            self._refused.append(reason)

    def failed(self, keyed: bool) -> None:
        with self._lock:
            self._unanswered += 1
            self._ambiguous += not keyed

    def accepted_through(self, channels: frozenset[str]) -> int:
        with self._lock:
            return sum(self._per_channel[c] for c in channels)

    def snapshot(self) -> Sent:
        with self._lock:
            return Sent(
                tuple(self._accepted),
                tuple(self._abandoned),
                self._ambiguous,
                tuple(self._mismatches),
                tuple(self._refused),
                self._unanswered,
            )


class Pacer:
    """Hands out send slots at a fixed rate; slots missed while blocked are dropped, not burst."""

    def __init__(self, per_second: float) -> None:
        self._interval, self._next, self._lock = 1.0 / per_second, time.monotonic(), threading.Lock()

    def wait(self, stop: threading.Event) -> bool:
        """False once stopped."""
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next + self._interval, now - self._interval)
            slot = self._next
        return not stop.wait(max(0.0, slot - now))


class LoadDriver:
    def __init__(self, ids: RunIds, ledger: Ledger, orders_per_second: float) -> None:
        self._ids, self._ledger = ids, ledger
        self._pacer = Pacer(orders_per_second)
        self._stop = threading.Event()
        self._sequence = iter(range(10**9))
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._orders, daemon=True) for _ in range(WORKERS)]
        self._threads.append(threading.Thread(target=self._stock, daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stops sending; returns once every keyed request in flight is answered or given up."""
        self._stop.set()
        for thread in self._threads:
            thread.join(KEY_SECONDS + 30)

    def _next(self) -> int:
        with self._lock:
            return next(self._sequence)

    def _orders(self) -> None:
        channels = order_channels()
        rng = random.Random()
        try:
            while self._pacer.wait(self._stop):
                n = self._next()
                skus = rng.sample(self._ids.skus, rng.randint(1, 2))
                lines = tuple(Line(sku, rng.randint(1, 3)) for sku in skus)
                key = f"k{n}-{self._ids.run}" if n % 2 == 0 else None
                request = OrderRequest(self._ids.user(n), lines, rng.randint(100, 500), key)
                channel = channels[n % len(channels)]
                if key is None:
                    self._send_once(channel, request)
                else:
                    self._send_keyed(channel, request, resend=n % (2 * RESEND_EVERY) == 0)
        finally:
            for channel in channels:
                channel.close()

    def _send_once(self, channel: OrderChannel, request: OrderRequest) -> None:
        try:
            order_id = channel.create(request)
        except Unanswered:
            self._ledger.failed(keyed=False)
        except Refused as refused:
            self._ledger.refused(f"{channel.name} {refused}")
        else:
            self._ledger.accepted(Accepted(order_id, request.user_id, None, channel.name))

    def _send_keyed(self, channel: OrderChannel, request: OrderRequest, resend: bool) -> None:
        assert request.key is not None
        order_id = self._answer(channel, request)
        if order_id is None:
            return
        self._ledger.accepted(Accepted(order_id, request.user_id, request.key, channel.name))
        if resend:
            again = self._answer(channel, request)
            if again is not None and again != order_id:
                self._ledger.mismatch(KeyMismatch(request.user_id, request.key, order_id, again))

    def _answer(self, channel: OrderChannel, request: OrderRequest) -> str | None:
        """The order id a keyed request is answered with, retried after transient errors."""
        assert request.key is not None
        deadline, backoff = time.monotonic() + KEY_SECONDS, FIRST_BACKOFF
        while time.monotonic() < deadline:
            try:
                return channel.create(request)
            except Unanswered:
                self._ledger.failed(keyed=True)
            except Refused as refused:
                self._ledger.refused(f"{channel.name} {refused}")
                return None
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
        self._ledger.abandoned(request.user_id, request.key)
        return None

    def _stock(self) -> None:
        stock, rng = Stock(), random.Random()
        try:
            for n in range(10**9):
                if self._stop.wait(STOCK_EVERY_SECONDS):
                    return
                sku = self._ids.skus[n % len(self._ids.skus)]
                try:
                    # Often below what the topic holds by now: refused, as it should be.
                    stock.set(sku, stock.reserved(sku) + rng.randint(5, 40))
                except (Unanswered, Refused):
                    continue
        finally:
            stock.close()


def seed_stock(ids: RunIds, quantity: int) -> None:
    """Every SKU of the run in stock before the first order, so the first orders can be confirmed."""
    stock = Stock()

    def seeded(sku: str) -> bool:
        try:
            stock.set(sku, quantity)
        except Unanswered:
            return False
        return True

    try:
        for sku in ids.skus:
            eventually(partial(seeded, sku), SEED_SECONDS, every=1.0)
    except AssertionError as error:
        raise RuntimeError(f"SetStock does not answer: {error}") from error
    finally:
        stock.close()
