"""Compare an exercise's answer with the expected one in a way the answer cells cannot talk round.

Every lesson's hidden tests (the nbgrader `### BEGIN HIDDEN TESTS` blocks of the `exN_check`
cells) call these. A hidden test runs in the student's kernel, after the student's cells, so a
plain `assert np.allclose(answer(x), want)` trusts whatever those cells left behind: they may have
run `np.allclose = lambda *a, **k: True`, or the answer may return an object whose `__eq__`, or
whose `__array_function__`, always says yes. Here:

- **references are captured before the student's cells run**: the lesson's imports cell imports
  this module, which keeps its own snapshot of numpy's functions (`reference_numpy()`); rebinding
  `np.allclose` later changes nothing here;
- **the answer is reduced to plain values first**: exact types are checked (`type(x) is tuple`, not
  `isinstance`), arrays become a fresh `numpy.ndarray` of a fixed dtype (no subclass survives),
  and numbers become Python `int`/`float`/`bool`; the comparison then runs on those plain values,
  whose operators no Python code can replace;
- **the comparison is checked before it is trusted**: each call first compares a right and a wrong
  value of its own; if the wrong one passes, something in this kernel was tampered with and the
  check fails with that message.

A cell that rebinds this module's own names (`checks.equal = ...`) is not stopped here; the
grader's review column flags it (`tl_course.instructor.integrity`). The helpers raise
`AssertionError` ("expected ..., received ...") so a hidden test reads as a list of statements.

Example:
    >>> from tl_course.core import checks
    >>> checks.equal(parse("mobilenet_v2_..._0.35_224_no_top.h5"), (0.35, 224, False), exact_types=True)
    >>> checks.close(scale_pixels(img), img / 127.5 - 1.0, atol=1e-5, dtype="float32")
"""

import collections
import types

import numpy

__all__ = ["array", "close", "equal", "plain", "reference_numpy"]

_NP = types.SimpleNamespace(**{name: getattr(numpy, name) for name in dir(numpy) if not name.startswith("__")})
_NDARRAY, _ARRAY, _ISFINITE = numpy.ndarray, numpy.array, numpy.isfinite
_NUMPY_SCALARS = frozenset(t for t in numpy.sctypeDict.values() if issubclass(t, numpy.generic))
_PLAIN = frozenset({bool, int, float, str, type(None)})
_DICTS = (dict, collections.Counter, collections.OrderedDict, collections.defaultdict)  # rebuilt as dicts
_CONTAINERS = (tuple, list, set, frozenset) + _DICTS


def reference_numpy():
    """Return numpy's functions as they were when the lesson's imports cell ran (a namespace).

    Hidden tests compute their expected values with it (`_np = checks.reference_numpy()`), so an
    answer cell that rebinds `np.stack` or `np.argmin` cannot change the reference.
    """
    return _NP


def _name(value):
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def array(value, what="the answer", dtype=None, shape=None):
    """Return `value` as a fresh, plain `numpy.ndarray` (no subclass, its own copy of the values).

    Args:
        value: an array, a tensor with `__array__`, or nested lists of numbers.
        what: how the failure message names the value.
        dtype: the dtype to convert to (None keeps the value's; object arrays are refused).
        shape: the expected shape, or None.

    Raises:
        AssertionError: not convertible, an object array, or not of `shape`.
    """
    try:
        result = _ARRAY(value, dtype=dtype, copy=True, subok=False)
    except Exception as error:  # an answer that cannot be read as numbers scores zero, with the reason
        raise AssertionError(f"{what}: expected an array of numbers, received {_name(value)} ({error})") from None
    if type(result) is not _NDARRAY or result.dtype.kind == "O":
        raise AssertionError(f"{what}: expected an array of numbers, received {_name(value)}")
    if shape is not None and result.shape != tuple(shape):
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, received {result.shape}")
    return result


def plain(value, what="the answer", exact_types=False):
    """Return `value` rebuilt from plain Python values, refusing any type that could fake a comparison.

    Tuples, lists, dicts and sets (of exactly those types; `Counter`, `OrderedDict` and `defaultdict`
    count as dicts) are rebuilt element by element; strings,
    bools and None are kept; numbers become `int` or `float` (numpy scalars too, by their kind);
    numpy arrays become `("array", shape, values)`. With `exact_types`, numbers are tagged with their
    type, so `224` and `224.0` (or `1` and `True`) differ.

    Raises:
        AssertionError: some part of `value` is of another type (a subclass of `str`, a custom class).
    """
    kind = type(value)
    if kind in _PLAIN:
        if exact_types and kind in (int, float):
            return (kind.__name__, value)
        return value if kind is not bool else ("bool", int(value))
    if kind in _NUMPY_SCALARS:
        if exact_types:
            raise AssertionError(f"{what}: expected a Python number, received a {_name(value)}")
        return plain(value.item(), what)
    if kind is _NDARRAY:
        result = array(value, what)
        return ("array", result.shape, result.tolist())
    if kind in _CONTAINERS:
        if kind in _DICTS:
            items = [(plain(k, what, exact_types), plain(v, what, exact_types)) for k, v in dict.items(value)]
            return ("dict", frozenset(items))
        parts = tuple(plain(v, what, exact_types) for v in kind.__iter__(value))
        return (kind.__name__, frozenset(parts) if kind in (set, frozenset) else parts)
    raise AssertionError(f"{what}: expected plain values (numbers, strings, tuples, lists, dicts, numpy arrays), "
                         f"received a {_name(value)}")


def _trust():
    """Fail if the comparisons below would accept a wrong value: something in this kernel was replaced."""
    right, wrong = _ARRAY([1.0, 2.0]), _ARRAY([1.0, 2.5])
    if plain((1, "a")) == plain((1, "b")) or not _close(right, right, 0.0, 0.0) or _close(right, wrong, 0.1, 0.0):
        raise AssertionError("the grading references in this kernel were changed (an answer cell rebinds numpy or "
                             "Python internals): the answer cannot be graded; see the review column")


def equal(got, want, what="the answer", exact_types=False):
    """Check that `got` equals `want`, on plain values (`plain`): a subclass with its own `__eq__` fails.

    When `want` is a numpy array, `got` is read as an array (`array`) and shapes and values must match.

    Args:
        got: the student's value.
        want: the expected value, computed by the test.
        what: how the failure message names the value.
        exact_types: also require the same number types (`(0.35, 224, False)` is not `(0.35, 224.0, 0)`).

    Raises:
        AssertionError: "expected ..., received ..." when they differ.
    """
    _trust()
    if type(want) is _NDARRAY:  # an expected array: the answer is read as one (a list of numbers will do)
        got = array(got, what)
    if plain(got, what, exact_types) != plain(want, "the expected value", exact_types):
        raise AssertionError(f"{what}: expected {want!r}, received {_safe_repr(got)}")


def _close(got, want, atol, rtol):
    if got.shape != want.shape:
        return False
    finite = _ISFINITE(got)
    if not bool((finite == _ISFINITE(want)).all()):
        return False
    g, w = got[finite], want[finite]
    if bool(((g - w).__abs__() > atol + rtol * w.__abs__()).any()):
        return False
    g, w = got[~finite], want[~finite]  # infinities of the same sign, or NaN for NaN
    return bool(((g == w) | ((g != g) & (w != w))).all())


def close(got, want, what="the answer", atol=1e-8, rtol=1e-5, dtype="float64"):
    """Check that the array `got` matches `want` element by element, within `atol + rtol * |want|`.

    Both become plain `numpy.ndarray`s of `dtype` first (`array`), so an answer of an array subclass,
    or one whose `__array_function__` answers for numpy, is compared by its values. Shapes must match
    exactly; a NaN or infinity matches only the same non-finite value.

    Raises:
        AssertionError: "expected ..., received ..." with the largest difference.
    """
    _trust()
    got, want = array(got, what, dtype), array(want, "the expected value", dtype)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: expected shape {want.shape}, received {got.shape}")
    if not _close(got, want, atol, rtol):
        finite = _ISFINITE(got) & _ISFINITE(want)
        gap = float((got - want).__abs__()[finite].max()) if finite.any() else float("nan")
        raise AssertionError(f"{what}: expected values within {atol:g} + {rtol:g} x |expected| of the reference, "
                             f"received a difference of up to {gap:.3g}")


def _safe_repr(value):
    try:
        return object.__repr__(value) if type(value) not in _PLAIN and type(value) not in _CONTAINERS else repr(value)
    except Exception:
        return f"a {_name(value)}"
