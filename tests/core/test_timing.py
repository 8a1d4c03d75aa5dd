"""core.timing: the fastest run of each call, taken in turns."""

import time

import pytest

from tl_course.core import timing


def test_fastest_in_turns_takes_turns_and_keeps_each_minimum():
    order, delays = [], {"a": iter([0.03, 0.0, 0.03]), "b": iter([0.0, 0.02, 0.02])}

    def call(name):
        order.append(name)
        time.sleep(next(delays[name]))

    best = timing.fastest_in_turns([lambda: call("a"), lambda: call("b")], repeats=3)
    assert order == ["a", "b"] * 3
    assert best[0] < 0.015 and best[1] < 0.015  # each call's fastest round, not its mean
    assert best[0] >= 0 and best[1] >= 0


def test_fastest_in_turns_refuses_no_round():
    with pytest.raises(ValueError, match="Expected repeats >= 1; received 0"):
        timing.fastest_in_turns([lambda: None], repeats=0)
