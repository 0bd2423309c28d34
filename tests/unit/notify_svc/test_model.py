from notify_svc.domain.model import (
    Line,
    OrderConfirmed,
    OutOfStock,
    RetryPolicy,
    notification_for,
    recipient_for,
)


def test_a_confirmation_names_the_order_its_lines_and_total() -> None:
    notice = notification_for(
        OrderConfirmed("o-1", "alice", (Line("SKU-1", 2), Line("SKU-2", 1)), 1250), "x.test"
    )
    assert notice.subject == "Order confirmed: o-1"
    assert notice.recipient == "alice@x.test"
    assert "2 x SKU-1" in notice.body and "1 x SKU-2" in notice.body and "Total: 12.50 USD" in notice.body
    assert notice.message_id == "<confirmed.o-1@orderflow>"


def test_an_out_of_stock_notice_names_the_order_and_the_short_sku() -> None:
    notice = notification_for(OutOfStock("o-2", "bob@example.org", "SKU-9", 3, 1), "x.test")
    assert notice.subject == "Out of stock: o-2"
    assert notice.recipient == "bob@example.org"
    assert "SKU-9" in notice.body and "3" in notice.body
    assert notice.message_id == "<out_of_stock.o-2@orderflow>"


def test_the_user_directory_keeps_addresses_and_completes_ids() -> None:
    assert recipient_for(OutOfStock("o-3", "carol", "SKU-1", 1, 0), "users.test") == "carol@users.test"
    assert (
        recipient_for(OutOfStock("o-3", "carol@corp.test", "SKU-1", 1, 0), "users.test") == "carol@corp.test"
    )


def test_an_orders_contact_address_wins_over_the_directory_and_totals_carry_their_currency() -> None:
    confirmed = OrderConfirmed("o-4", "dave", (Line("SKU-1", 1),), 2500, "EUR", "dave.work@corp.test")
    notice = notification_for(confirmed, "users.test")
    assert notice.recipient == "dave.work@corp.test"
    assert "Total: 25.00 EUR" in notice.body
    rejected = OutOfStock("o-5", "dave", "SKU-1", 2, 1, "dave.work@corp.test")
    assert notification_for(rejected, "users.test").recipient == "dave.work@corp.test"


def test_backoff_doubles_up_to_its_cap_and_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=4, base_seconds=0.5, cap_seconds=1.5)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]
    assert not policy.gives_up_after(3)
    assert policy.gives_up_after(4)
