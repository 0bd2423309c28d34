"""The bench's CPU ceiling: the orders/s a machine's cores carry at a run's CPU per order."""

from __future__ import annotations

from bench.e2e.observe import Order
from bench.e2e.runs import Run
from bench.e2e.stats import ceiling_note, ceiling_per_second


def run(orders: int, stack_seconds: dict[str, float], bench_seconds: float) -> Run:
    return Run(
        label="saturation, 1,000 orders",
        rate=0,
        ghz={},
        orders={f"o{i}": Order(accepted=float(i)) for i in range(orders)},
        started=0.0,
        load_ended=1.0,
        ended=2.0,
        drained=True,
        restarted=[],
        cpu_seconds=stack_seconds,
        broker_requests={},
        bench_seconds=bench_seconds,
        machine_seconds=sum(stack_seconds.values()) + bench_seconds,
    )


def test_the_ceiling_counts_the_stacks_cpu_and_the_benchs_alike() -> None:
    # 2.0 ms of the stack and 0.5 ms of the bench per order: 2 cores carry 800 orders/s.
    measured = run(1000, {"kafka": 1.2, "order_svc": 0.8}, bench_seconds=0.5)
    assert ceiling_per_second(measured, cores=2) == 800.0
    assert ceiling_per_second(measured, cores=4) == 1600.0


def test_the_note_names_the_cpu_per_order_the_settled_target_needs() -> None:
    measured = run(1000, {"kafka": 1.2, "order_svc": 0.8}, bench_seconds=0.5)
    # 0.25 x 8,000/s is 2,000/s: two cores allow 1.00 ms per order for that.
    note = ceiling_note(measured, cores=2, bare_grpc_per_second=8000.0)
    assert "2.00 ms (stack) + 0.50 ms (this bench)" in note
    assert "carry about 800 orders/s" in note
    assert "settling 2,000/s" in note and "needs about 1.00 ms per order" in note
    # A slower front door leaves 1,000/s as the target.
    assert "settling 1,000/s" in ceiling_note(measured, cores=2, bare_grpc_per_second=2800.0)
