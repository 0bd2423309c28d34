from inventory_svc.domain.stock import Stock, release, reserve, set_on_hand


def test_a_reservation_holds_units_while_enough_are_available() -> None:
    stock, reserved = reserve(Stock("A", on_hand=5, reserved=1), 4)
    assert reserved
    assert (stock.reserved, stock.available) == (5, 0)


def test_a_reservation_for_more_than_is_available_holds_nothing() -> None:
    stock = Stock("A", on_hand=5, reserved=3)
    assert reserve(stock, 3) == (stock, False)


def test_release_gives_back_what_was_held_and_never_goes_below_zero() -> None:
    assert release(Stock("A", 5, 3), 2) == Stock("A", 5, 1)
    assert release(Stock("A", 5, 1), 2) == Stock("A", 5, 0)


def test_setting_on_hand_below_what_is_reserved_is_refused() -> None:
    assert set_on_hand(Stock("A", 5, 3), 2) == (Stock("A", 5, 3), False)
    assert set_on_hand(Stock("A", 5, 3), 3) == (Stock("A", 3, 3), True)
