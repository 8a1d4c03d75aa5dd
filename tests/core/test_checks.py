"""The hidden tests' comparisons: right answers pass, wrong ones fail however they are dressed up."""

import numpy as np
import pytest

from tl_course.core import checks


def test_right_answers_pass():
    checks.equal((0.35, 224, False), (0.35, 224, False), exact_types=True)
    checks.equal({"a": 2, "b": [1, 2]}, {"b": [1, 2], "a": 2})
    checks.equal(np.int64(67), 67)
    checks.equal(np.array([1, 2, 0]), np.array([1, 2, 0]))
    checks.equal(None, None)
    checks.close([0.0, 0.5, 1.0], np.array([0.0, 0.5, 1.0 + 1e-9]))
    checks.close(np.float32([1.0, np.nan]), [1.0, np.nan], dtype="float32")


@pytest.mark.parametrize("got, want, exact, message", [
    ((0.35, 224.0, False), (0.35, 224, False), True, r"expected \(0.35, 224, False\), received \(0.35, 224.0, False\)"),
    ((0.35, 224, 0), (0.35, 224, False), False, "received"),
    ([1, 2], (1, 2), False, "received"),
    ({"a": 2}, {"a": 3}, False, "received"),
    (np.int64(3), 3, True, "expected a Python number, received a numpy.int64"),
])
def test_wrong_answers_fail(got, want, exact, message):
    with pytest.raises(AssertionError, match=message):
        checks.equal(got, want, exact_types=exact)


class Yes(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class AlwaysClose(np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return True

    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


def test_answers_that_fake_a_comparison_fail():
    with pytest.raises(AssertionError, match="received a test_checks.Yes"):
        checks.equal(Yes("no idea"), "42")
    with pytest.raises(AssertionError, match="received a test_checks.Yes"):
        checks.equal((Yes("x"), 1), ("42", 1))
    fake = np.zeros(3).view(AlwaysClose)
    assert np.allclose(fake, [-1, 0, 1]) and np.array_equal(fake, [-1, 0, 1]), "the cheat fools numpy"
    with pytest.raises(AssertionError, match="difference of up to 1"):
        checks.close(fake, [-1, 0, 1])
    with pytest.raises(AssertionError, match="received"):
        checks.equal(fake, np.array([-1.0, 0.0, 1.0]))
    assert type(checks.array(fake)) is np.ndarray
    with pytest.raises(AssertionError, match="expected an array of numbers, received object"):
        checks.array(object())


def test_rebinding_numpy_after_import_changes_nothing(monkeypatch):
    for name in ("allclose", "array_equal", "isclose", "stack", "isfinite", "array", "asarray"):
        monkeypatch.setattr(np, name, lambda *a, **k: True)
    with pytest.raises(AssertionError, match="difference of up to 0.5"):
        checks.close([1.0, 2.0], [1.0, 2.5])
    assert checks.reference_numpy().allclose([1.0], [2.0]) is False
    monkeypatch.undo()


def test_tampered_internals_are_caught_before_a_check_passes(monkeypatch):
    monkeypatch.setattr(checks, "_close", lambda *a: True)
    with pytest.raises(AssertionError, match="grading references in this kernel were changed"):
        checks.close([1.0], [2.0])


def test_shapes_and_non_finite_values():
    with pytest.raises(AssertionError, match=r"expected shape \(3,\), received \(2,\)"):
        checks.close([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError):
        checks.close([np.nan], [1.0])
    with pytest.raises(AssertionError):
        checks.close([np.inf], [-np.inf])
    checks.close([np.inf, -np.inf, np.nan], [np.inf, -np.inf, np.nan])
    with pytest.raises(AssertionError, match=r"expected shape \(2,\)"):
        checks.array([1, 2, 3], shape=(2,))


def test_an_expected_array_reads_the_answer_as_an_array():
    checks.equal([1, 2, 0], np.array([1, 2, 0]))
    checks.equal(np.array([True, False]), np.array([True, False]))
    with pytest.raises(AssertionError, match="received"):
        checks.equal([[1, 2, 0]], np.array([1, 2, 0]))
    import collections
    checks.equal(collections.Counter(a=2, b=3), {"a": 2, "b": 3})
