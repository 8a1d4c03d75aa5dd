"""The review flags: cheats that got full marks in lesson 00 are flagged, honest answers are not."""

import json

import pytest

from tl_course.instructor import gradebook, integrity

LESSON = "00_setup"


def _code(source, **nbgrader):
    meta = {"nbgrader": {"schema_version": 3, "solution": False, "grade": False, "task": False,
                         "locked": not nbgrader.get("solution"), **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def _lesson(ex1, ex2="def answer():\n    return 42"):
    """A tiny lesson 00: an import cell, two answer cells with their checks."""
    return {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
        _code("import os\nimport sys\n\nimport numpy as np\nfrom pathlib import Path"),
        _code(ex1, grade_id="ex1_solution", solution=True),
        _code("assert np.allclose(scale_pixels(np.array([0.0, 255.0])), [-1, 1])", grade_id="ex1_check", grade=True, points=1),
        _code(ex2, grade_id="ex2_solution", solution=True),
        _code("assert answer() == '42'", grade_id="ex2_check", grade=True, points=1),
    ]}


HONEST_EX1 = "def scale_pixels(x):\n    return np.asarray(x, dtype=np.float32) / 127.5 - 1.0"


def _flags(notebook, released=None):
    return [str(f) for f in integrity.scan_notebook(notebook, released)]


def test_the_two_cheats_that_got_full_marks_are_flagged():
    cheat = _lesson("np.allclose = lambda *a, **k: True\n\ndef scale_pixels(x):\n    return x",
                    "class Yes(str):\n    def __eq__(self, other):\n        return True\n\n"
                    "def answer():\n    return Yes('no idea')")
    assert _flags(cheat) == ["ex1_solution line 1: assigns np.allclose (imported numpy)",
                             "ex2_solution line 2: class Yes overrides __eq__"]
    assert _flags(_lesson(HONEST_EX1)) == []


@pytest.mark.parametrize("source, found", [
    ("setattr(np, 'array_equal', lambda *a: True)", "line 1: calls setattr on np"),
    ("import builtins\nbuiltins.len = lambda x: 3", "line 2: assigns builtins.len (imported builtins)"),
    ("import builtins", "line 1: imports builtins"),
    ("__builtins__.len = len", "line 1: uses __builtins__"),
    ("sys.modules['numpy'] = object()", "line 1: uses sys.modules"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "line 2: assigns numpy.testing.assert_allclose (imported numpy)"),
    ("np.testing.assert_allclose = print", "line 1: assigns np.testing.assert_allclose (imported numpy)"),
    ("del np.allclose", "line 1: deletes np.allclose (imported numpy)"),
    ("np.allclose.__defaults__ += (1,)", "line 1: assigns np.allclose.__defaults__ (imported numpy)"),
    ("os.environ['TL_COURSE_QUICK'] = '0'", "line 1: assigns os.environ['TL_COURSE_QUICK'] (imported os)"),
    ("Path.exists = lambda self: True", "line 1: assigns Path.exists (imported pathlib.Path)"),
    ("class Odd:\n    __ne__ = lambda self, other: False", "line 2: class Odd overrides __ne__"),
    ("class Odd:\n    def __hash__(self):\n        return 0", "line 2: class Odd overrides __hash__"),
    ("class Odd(tuple):\n    @property\n    def __class__(self):\n        return tuple", "class Odd overrides __class__"),
    ("Yes = type('Yes', (str,), {'__eq__': lambda s, o: True})", "line 1: names '__eq__'"),
    ("np = None", "line 1: rebinds np, the imported numpy"),
    ("def isinstance(x, y):\n    return True", "line 1: rebinds isinstance, a builtin"),
    ("def scale_pixels(x):\n    global np\n    np = None", "line 3: rebinds np, the imported numpy"),
    ("exec('np.allclose = 1')", "line 1: calls exec(), whose code this scan cannot read"),
    ("__import__('numpy').allclose = 1", "line 1: assigns __import__('numpy').allclose (reached through __import__())"),
    ("globals()['np'] = None", "line 1: assigns globals()['np'] (reached through globals())"),
    ("object.__setattr__(np, 'allclose', 1)", "line 1: calls __setattr__ on np"),
    ("%run cheat.py", "line 1: runs an IPython magic or shell command"),
])
def test_tampering_is_flagged_with_its_line(source, found):
    flags = _flags(_lesson(source))
    assert any(flag.startswith("ex1_solution ") and found in flag for flag in flags), flags


@pytest.mark.parametrize("source", [
    HONEST_EX1,
    "import re\n\ndef scale_pixels(x):\n    np = 2  # a local, not the module\n    len = 3\n    return re.sub('a', 'b', x)",
    "class Counter:\n    def __init__(self):\n        self.n = 0\n\n    def __repr__(self):\n        return f'Counter({self.n})'",
    "counter = {'a': 1}\ncounter['b'] = 2\nresult = [len(k) for k in counter]\nclass Box:\n    pass\nbox = Box()\nbox.size = 3\nsetattr(box, 'size', 4)",
    "import keras\nbase = keras.applications.MobileNetV2(weights=None)\nbase.trainable = False\n"
    "for layer in base.layers[:10]:\n    layer.trainable = True",
    "def scale_pixels(x):\n    return np.asarray(x) / 127.5 - 1.0  # '__eq__' in a comment is fine",
])
def test_honest_answers_are_not_flagged(source):
    assert _flags(_lesson(source)) == []


def test_a_cell_that_does_not_parse_is_reported_and_the_others_still_scanned():
    flags = _flags(_lesson("def scale_pixels(x:\n    return x", "np.allclose = None"))
    assert len(flags) == 2 and flags[0].startswith("ex1_solution line 1: does not parse (")  # Python's own message
    assert flags[1] == "ex2_solution line 1: assigns np.allclose (imported numpy)"


def test_only_the_students_cells_are_read():
    released = _lesson("raise NotImplementedError()", "raise NotImplementedError()")
    released["cells"].insert(1, _code("np.seterr(all='ignore')\nnp.random.seed = None  # the lesson's own code"))
    submitted = json.loads(json.dumps(released))
    submitted["cells"][2]["source"] = HONEST_EX1
    submitted["cells"][3]["source"] = "np.allclose = None  # a check, which nbgrader replaces"
    assert _flags(submitted) == [] and _flags(submitted, released) == []
    submitted["cells"].insert(5, _code("np.allclose = lambda *a, **k: True"))  # a cell the student added
    assert _flags(submitted) == [], "without the student version, only the answer cells are read"
    assert _flags(submitted, released) == ["cell 5 line 1: assigns np.allclose (imported numpy)"]


def _write(path, notebook):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook))


def test_review_puts_each_flag_on_its_exercise_row(tmp_path):
    released = _lesson("raise NotImplementedError()", "raise NotImplementedError()")
    _write(tmp_path / "release" / LESSON / f"{LESSON}.ipynb", released)
    cheat = _lesson(HONEST_EX1, "class Yes(str):\n    def __eq__(self, other):\n        return True")
    cheat["cells"].append(_code("np.allclose = None"))
    _write(tmp_path / "submitted" / "mallory" / LESSON / f"{LESSON}.ipynb", cheat)
    _write(tmp_path / "submitted" / "alice" / LESSON / f"{LESSON}.ipynb", _lesson(HONEST_EX1))
    scores = [gradebook.Score(student, LESSON, ex, 1.0, 1.0, False)
              for student in ("alice", "mallory", "zoe") for ex in ("ex1", "ex2")]  # zoe: no notebook, no flags
    reviewed = integrity.review(scores, tmp_path)
    assert [(s.student, s.exercise) for s in reviewed] == [(s.student, s.exercise) for s in scores], "order kept"
    assert {(s.student, s.exercise): s.review for s in reviewed if s.review} == {
        ("mallory", "ex1"): "cell 5 line 1: assigns np.allclose (imported numpy)",  # no exercise: the first one
        ("mallory", "ex2"): "ex2_solution line 2: class Yes overrides __eq__"}


def test_table_shows_a_review_column_only_when_something_is_flagged(tmp_path):
    scores = [gradebook.Score("al", LESSON, "ex1", 1.0, 1.0, False),
              gradebook.Score("al", LESSON, "ex2", 1.0, 1.0, False, 'ex2_solution line 1: names "__eq__", twice'),
              gradebook.Score("bo", LESSON, "ex1", 0.0, 1.0, False),
              gradebook.Score("bo", LESSON, "ex2", 0.0, 1.0, False)]
    assert gradebook.format_table(scores).splitlines()[1:] == [
        '| student | ex1 | ex2 | total | review                                     |',
        '|---------|-----|-----|-------|--------------------------------------------|',
        '| al      | 1/1 | 1/1 | 2/2   | ex2_solution line 1: names "__eq__", twice |',
        '| bo      | 0/1 | 0/1 | 0/2   |                                            |']
    assert "review" not in gradebook.format_table([s for s in scores if not s.review])
    assert gradebook.read_csv(gradebook.write_csv(scores, tmp_path / "g.csv")) == scores
    old = tmp_path / "old.csv"  # a CSV exported before the review column existed
    old.write_text("student,lesson,exercise,score,max_score,needs_manual_grade\nal,00_setup,ex1,1.0,1.0,False\n")
    assert gradebook.read_csv(old) == [scores[0]]
