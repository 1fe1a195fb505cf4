"""Station names: derived from the step and its machines, ordered by their numbers."""

from __future__ import annotations

from gigaline.model.naming import station_names, station_order


def test_station_names_in_their_numbers_order() -> None:
    names = station_names("c_mixing", 16)
    assert sorted(names)[:3] == ["c_mixing-1", "c_mixing-10", "c_mixing-11"]  # plain: wrong
    assert sorted(reversed(names), key=station_order) == names
    mixed = ["b-2", "a-10", "a-9", "a", "a-1x2", "a-1x10"]
    assert sorted(mixed, key=station_order) == ["a", "a-1x2", "a-1x10", "a-9", "a-10", "b-2"]
