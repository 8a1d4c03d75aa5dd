"""The grading pipeline with real nbgrader on the real lessons.

Student versions are generated for every lesson in notebooks/ (found by name, so new lessons are
covered); lesson 00 is graded end to end in the fast profile with five submissions (full marks,
untouched, sabotaged, and two that cheat), again with every cell run (the same scores), then
re-graded after one submission changes.
"""

import copy
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tl_course import cli
from tl_course.core.manifest import LESSONS
from tl_course.instructor import gradebook, grading, grading_profile, handins, integrity
from tl_course.lessons import setup

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [ROOT / lesson.notebook for lesson in LESSONS]
LESSON = "00_setup"  # the fast lesson graded end to end
TIMEOUT = 15  # seconds per exercise cell: what the infinite loop costs


def _nb(path):
    """Read a notebook, with every cell source as one string (nbgrader writes lists of lines)."""
    nb = json.loads(Path(path).read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    return nb


def _graded_cells(nb):
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"] if "nbgrader" in c["metadata"]}


def _inside(source, begin, end):
    """Return the stripped lines between `### BEGIN X` and `### END X` markers, and the lines outside."""
    inside, outside, on = [], [], False
    for line in source.splitlines():
        if line.strip() == begin:
            on = True
        elif line.strip() == end:
            on = False
        elif line.strip():
            (inside if on else outside).append(line.strip())
    return inside, outside


def _public_lines(source):
    """Return the stripped lines of `source` outside solutions and hidden tests."""
    outside = _inside(source, "### BEGIN SOLUTION", "### END SOLUTION")[1]
    return _inside("\n".join(outside), "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")[1]


def _answered(release, source):
    """The student version with every answer cell filled in from the lesson's solutions."""
    nb, answers = copy.deepcopy(release), _graded_cells(source)
    for gid, cell in _graded_cells(nb).items():
        if cell["metadata"]["nbgrader"]["solution"]:
            cell["source"] = answers[gid]["source"]
    return nb


def _write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb) if isinstance(nb, dict) else nb)
    return path


# Fast tests: no kernel.

def test_lessons_are_found_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # outside the checkout: the checkout's lessons are found all the same
    assert grading.find_lessons(["00"]) == grading.find_lessons([f"notebooks/{LESSON}.ipynb"]) == [ROOT / "notebooks" / f"{LESSON}.ipynb"]
    assert grading.find_lessons() == NOTEBOOKS
    with pytest.raises(ValueError, match="Expected a lesson name such as 00_setup"):
        grading.find_lessons(["99_nothing"])


def test_exercise_cells_get_the_short_timeout():
    timeout = grading.CellTimeout(exercise=7, lesson=70)
    cells = _graded_cells(_nb(NOTEBOOKS[0]))
    assert timeout(cells["ex1_solution"]) == timeout(cells["ex1_check"]) == 7
    assert timeout({"cell_type": "code", "metadata": {}, "source": "import keras"}) == 70
    with pytest.raises(ValueError, match="expected a positive exercise timeout"):
        grading.CellTimeout(exercise=0)


def test_metadata_dropped_by_an_editor_is_restored_in_order():
    release = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": "import x"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex1_solution", "solution": True}},
         "source": "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex1_check", "grade": True}}, "source": "assert f() == 1"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex2_solution", "solution": True}}, "source": "def g():\n    pass"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex2_check", "grade": True}}, "source": "assert g() == 2"},
    ]}
    submitted = copy.deepcopy(release)
    for cell in submitted["cells"]:
        cell["metadata"] = {"id": "colab-cell"}
    submitted["cells"][1]["source"] = "def f():\n    return 1"
    submitted["cells"].insert(2, {"cell_type": "code", "metadata": {}, "source": "def f_draft():\n    pass"})
    del submitted["cells"][5]  # ex2_check deleted: left for nbgrader to put back
    assert handins.restore_metadata(submitted, release) == ["ex1_solution", "ex1_check", "ex2_solution"]
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in submitted["cells"]]
    assert ids == [None, "ex1_solution", None, "ex1_check", "ex2_solution"]
    assert handins.restore_metadata(submitted, release) == []


def test_table_and_csv(tmp_path):
    scores = [gradebook.Score("bo", "00_setup", "ex10", 0.0, 2.0, False),
              gradebook.Score("bo", "00_setup", "ex2", 1.5, 2.0, True),
              gradebook.Score("al", "00_setup", "ex2", 2.0, 2.0, False)]
    assert gradebook.format_table(scores) == "\n".join([
        "00_setup",
        "| student | ex2    | ex10 | total |",
        "|---------|--------|------|-------|",
        "| al      | 2/2    | -    | 2/2   |",
        "| bo      | 1.5/2* | 0/2  | 1.5/4 |"])
    assert gradebook.read_csv(gradebook.write_csv(scores, tmp_path / "g.csv")) == scores


def test_commands_say_what_is_wrong(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "nothing"), "--course", str(tmp_path / "course")]) == 2
    assert "expected a folder with one sub-folder per student" in capsys.readouterr().err
    (tmp_path / "handins").mkdir()
    assert cli.main(["grade", str(tmp_path / "handins"), "--course", str(tmp_path / "course")]) == 2
    assert "run `tl-course release` first" in capsys.readouterr().err
    assert cli.main(["release", "7", "--course", str(tmp_path / "course")]) == 2
    assert "Expected a lesson name such as 00_setup" in capsys.readouterr().err
    assert not (tmp_path / "course").exists()


def test_grading_offline_refuses_a_lesson_this_machine_cannot_run(monkeypatch):
    monkeypatch.setenv("TL_COURSE_OFFLINE", "1")
    monkeypatch.setattr(setup, "lesson_readiness", lambda: {LESSON: ["dataset flower_photos"]})
    with pytest.raises(FileNotFoundError, match="expected the files 00_setup needs offline"):
        grading._check_assets({LESSON}, print)


# Student versions of every lesson.

def test_student_versions_of_every_lesson(tmp_path, capsys):
    course = tmp_path / "course"
    assert cli.main(["release", "--course", str(course), "--notebooks", str(ROOT / "notebooks")]) == 0
    assert capsys.readouterr().out.count("released ") == len(NOTEBOOKS)
    for lesson in NOTEBOOKS:
        source, release = _nb(lesson), _nb(course / "release" / lesson.stem / lesson.name)
        text = "\n".join(c["source"] for c in release["cells"])
        released_lines = {line.strip() for line in text.splitlines()}
        public = set(_public_lines("\n".join(c["source"] for c in source["cells"])))
        cells = _graded_cells(release)
        solutions = [c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
        checks = [c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
        assert list(cells) == list(_graded_cells(source)), f"{lesson.stem}: graded cells kept, in order"
        assert len(solutions) >= 2 and len(checks) >= len(solutions)
        for marker in grading._LEAKS:
            assert marker not in text, f"{lesson.stem}: {marker} left in the student version"
        for cell in solutions:
            answer = _inside(cell["source"], "### BEGIN SOLUTION", "### END SOLUTION")[0]
            assert answer and "raise NotImplementedError()" in cells[cell["metadata"]["nbgrader"]["grade_id"]]["source"]
            leaked = [line for line in answer if line not in public and line in released_lines]
            assert not leaked, f"{lesson.stem}: solution text in the student version: {leaked}"
        for cell in checks:
            meta = cell["metadata"]["nbgrader"]
            hidden, visible = _inside(cell["source"], "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            assert meta["points"] > 0, f"{lesson.stem} {meta['grade_id']}: no points"
            assert any(line.startswith(("checks.equal(", "checks.close(")) for line in hidden), \
                f"{lesson.stem} {meta['grade_id']}: the hidden tests should compare through tl_course.core.checks, which a student's kernel cannot talk round"
            student = cells[meta["grade_id"]]
            assert student["metadata"]["nbgrader"]["points"] == meta["points"]
            assert student["metadata"]["editable"] is False and student["metadata"]["deletable"] is False, "checks are locked"
            assert [l.strip() for l in student["source"].splitlines() if l.strip()] == visible, "the visible check is kept as is"
            leaked = [line for line in hidden if line not in public and line in released_lines]
            assert not leaked, f"{lesson.stem}: hidden test in the student version: {leaked}"


# One lesson graded end to end.

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release lesson 00, hand in three notebooks, grade them once."""
    tmp = tmp_path_factory.mktemp("grading")
    course, subs = tmp / "course", tmp / "submissions"
    grading.release([LESSON], course)
    source, release = _nb(ROOT / "notebooks" / f"{LESSON}.ipynb"), _nb(course / "release" / LESSON / f"{LESSON}.ipynb")
    alice = _answered(release, source)  # downloaded from Colab: its metadata, its kernel, its outputs
    alice["metadata"].update(colab={"provenance": []}, kernelspec={"name": "python3", "display_name": "Python 3"})
    alice["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran on Colab"}]
    _write(subs / "alice" / f"Copy of {LESSON}.ipynb", alice)
    _write(subs / "bob" / f"{LESSON}.ipynb", release)  # untouched
    mallory = _answered(release, source)
    cells = _graded_cells(mallory)
    cells["ex1_solution"]["source"] = "def parse_mobilenet_v2_weights_file(name):\n    raise ValueError('no idea')"
    cells["ex2_solution"]["source"] = "def count_images(root):\n    while True:\n        pass"
    mallory["cells"].remove(cells["ex3_check"])
    _write(subs / "mallory" / "homework" / f"{LESSON}.ipynb", mallory)
    for student, answers in CHEATS.items():
        cheat = _answered(release, source)
        for gid, answer in answers.items():
            _graded_cells(cheat)[gid]["source"] = answer
        _write(subs / student / f"{LESSON}.ipynb", cheat)
    lines, start = [], time.perf_counter()
    submissions, problems, scores = grading.grade(subs, course, exercise_timeout=TIMEOUT, log=lines.append)
    seconds = time.perf_counter() - start
    print(f"graded {len(submissions)} submissions of {LESSON} in {seconds:.0f} s:", *lines, sep="\n")
    return {"course": course, "subs": subs, "source": source, "submissions": {s.student: s for s in submissions},
            "problems": problems, "scores": scores, "lines": lines}


# Answers that pass the visible checks without being right: the two found by an instructor (eve),
# two more of ours and one honest wrong answer (trent).
CHEATS = {
    "eve": {
        "ex1_solution": "class Yes(str):\n    def __eq__(self, other):\n        return True\n\n\n"
                        "def parse_mobilenet_v2_weights_file(name):\n    return Yes('no idea')",
        "ex3_solution": "np.allclose = lambda *a, **k: True\n\n\n"
                        "def scale_pixels(x):\n    return np.asarray(x, dtype=np.float32)",
    },
    "trent": {
        "ex1_solution": "def parse_mobilenet_v2_weights_file(name):\n    return (0.35, 224, False)",  # honest, and wrong
        "ex2_solution": "class Any(dict):\n    def __eq__(self, other):\n        return True\n\n\n"
                        "def count_images(root):\n    return Any({n: 0 for n in ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']})",
        "ex3_solution": "class Close(np.ndarray):\n    def __array_function__(self, func, types, args, kwargs):\n        return True\n\n\n"
                        "def scale_pixels(x):\n    return np.zeros(np.shape(x), np.float32).view(Close)",
        "ex4_solution": "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)  # swallows failed checks\n\n\n"
                        "def cached_weights(keras_home):\n    return ['mobilenet_2_5_128_tf.h5']",
    },
}


@pytest.fixture(scope="module")
def graded_all_cells(graded, tmp_path_factory):
    """The three plain submissions graded again with every cell run (`--all-cells`), in a course of their own."""
    tmp = tmp_path_factory.mktemp("all-cells")
    course, subs = tmp / "course", tmp / "submissions"
    grading.release([LESSON], course)
    for student in ("alice", "bob", "mallory"):
        shutil.copytree(graded["subs"] / student, subs / student)
    lines = []
    submissions, _, scores = grading.grade(subs, course, exercise_timeout=TIMEOUT, log=lines.append, all_cells=True)
    print(*lines, sep="\n")
    return {"course": course, "scores": scores, "submissions": {s.student: s for s in submissions}}


def _mine(scores, student):
    return {s.exercise: (s.score, s.max_score) for s in scores if s.student == student and s.lesson == LESSON}


def _errors(course, student):
    nb = _nb(course / "autograded" / student / LESSON / f"{LESSON}.ipynb")
    return {c["metadata"].get("nbgrader", {}).get("grade_id", i): o["ename"]
            for i, c in enumerate(nb["cells"]) for o in c.get("outputs", []) if o["output_type"] == "error"}, nb


def test_solution_gets_full_marks(graded):
    mine = _mine(graded["scores"], "alice")
    assert set(mine) == {"ex1", "ex2", "ex3", "ex4"} and all(score == top > 0 for score, top in mine.values())
    errors, nb = _errors(graded["course"], "alice")
    assert errors == {} and graded["submissions"]["alice"].notes == []
    assert "quick mode" in json.dumps(nb), "graded in quick mode"
    assert graded["problems"] == []


def test_untouched_student_version_gets_zero(graded):
    mine = _mine(graded["scores"], "bob")
    assert set(mine) == {"ex1", "ex2", "ex3", "ex4"} and all(score == 0 for score, _ in mine.values())
    errors, _ = _errors(graded["course"], "bob")
    assert set(errors) == {"ex1_check", "ex2_check", "ex3_check", "ex4_check"}, "only the checks fail"
    assert set(errors.values()) == {"NotImplementedError"}


def test_sabotaged_submission_keeps_its_other_exercises(graded):
    assert _mine(graded["scores"], "mallory") == {"ex1": (0, 1), "ex2": (0, 1), "ex3": (1, 1), "ex4": (1, 1)}
    errors, nb = _errors(graded["course"], "mallory")
    assert errors == {"ex1_check": "ValueError", "ex2_check": "CellTimeoutError"}, "nothing else lost"
    assert graded["submissions"]["mallory"].notes == ["ex2_check timed out", "ex3_check was deleted, nbgrader put it back"]
    loop = nb["cells"].index(_graded_cells(nb)["ex2_check"])
    later = [c for c in nb["cells"][loop + 1:] if c["cell_type"] == "code"]
    assert later and all(c["execution_count"] for c in later), "every cell after the timeout ran"


def test_answers_that_talk_round_the_checks_score_zero_and_are_flagged(graded):
    assert _mine(graded["scores"], "eve") == {"ex1": (0, 1), "ex2": (1, 1), "ex3": (0, 1), "ex4": (1, 1)}
    assert _mine(graded["scores"], "trent") == {"ex1": (0, 1), "ex2": (0, 1), "ex3": (0, 1), "ex4": (0, 1)}
    flagged = {(s.student, s.exercise) for s in graded["scores"] if s.review}
    assert flagged == {("eve", "ex1"), ("eve", "ex3"), ("trent", "ex2"), ("trent", "ex3"), ("trent", "ex4")}, "the honest wrong answer is not flagged"
    errors, _ = _errors(graded["course"], "trent")
    assert errors.get("ex4_check") == "AssertionError", "a swallowed failure still counts"


def test_the_fast_profile_gives_the_scores_of_a_run_of_every_cell(graded, graded_all_cells):
    fast = {(s.student, s.exercise): (s.score, s.max_score) for s in graded["scores"] if s.student in ("alice", "bob", "mallory")}
    every = {(s.student, s.exercise): (s.score, s.max_score) for s in graded_all_cells["scores"]}
    assert fast == every and len(every) == 12
    assert {s: sub.notes for s, sub in graded_all_cells["submissions"].items()} == \
        {s: graded["submissions"][s].notes for s in ("alice", "bob", "mallory")}
    skipped = _nb(graded["course"] / "autograded" / "alice" / LESSON / f"{LESSON}.ipynb")
    ran = _nb(graded_all_cells["course"] / "autograded" / "alice" / LESSON / f"{LESSON}.ipynb")
    notes = [c for c in skipped["cells"] if c["source"].startswith("# skipped by `tl-course grade`")]
    assert len(notes) == len(grading_profile.demonstrations(graded["source"])) > 0
    assert not any(c["source"].startswith("# skipped") for c in ran["cells"])
    assert (graded["course"] / "cache" / LESSON / ".lesson-sha256").is_file(), "the warm cache of the run"


def test_csv_matches_gradebook(graded):
    from nbgrader.api import Gradebook

    rows = gradebook.read_csv(graded["course"] / "grades.csv")
    assert rows == graded["scores"] and len(rows) == 5 * 4
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}", gradebook.COURSE_ID) as gb:
        for row in rows:
            cell = gb.find_grade(f"{row.exercise}_check", LESSON, LESSON, row.student)
            assert (row.score, row.max_score) == (cell.score, cell.max_score)
        for student in ("alice", "bob", "mallory", "eve", "trent"):
            assert gb.find_submission(LESSON, student).score == sum(r.score for r in rows if r.student == student)


def test_regrading_a_changed_submission_updates_the_persisted_gradebook(graded, tmp_path, capsys):
    course, subs = tmp_path / "course", tmp_path / "submissions"  # a copy: other tests keep theirs
    shutil.copytree(graded["course"], course)
    shutil.copytree(graded["subs"], subs)
    bob = _nb(subs / "bob" / f"{LESSON}.ipynb")
    _graded_cells(bob)["ex3_solution"]["source"] = _graded_cells(graded["source"])["ex3_solution"]["source"]
    _graded_cells(bob)["ex1_solution"]["source"] = (  # passes the visible check only
        "def parse_mobilenet_v2_weights_file(name):\n"
        "    return (0.35, 224, False)")
    _write(subs / "bob" / f"{LESSON}.ipynb", bob)
    assert cli.main(["grade", str(subs), "--course", str(course), "--timeout", str(TIMEOUT), "--feedback"]) == 0
    out = capsys.readouterr().out
    assert "alice 00_setup: unchanged" in out and "mallory 00_setup: unchanged" in out and "bob 00_setup: graded" in out
    assert "| bob     | 0/1 | 0/1 | 1/1 | 0/1 | 1/4   |" in out
    scores = gradebook.read_csv(course / "grades.csv")
    assert scores == integrity.review(gradebook.exercise_scores(course), course)
    assert _mine(scores, "bob") == {"ex1": (0, 1), "ex2": (0, 1), "ex3": (1, 1), "ex4": (0, 1)}
    for student in ("alice", "mallory"):
        assert _mine(scores, student) == _mine(graded["scores"], student), "kept from the first run"
    assert "ex1_check" in (course / "feedback" / "bob" / LESSON / f"{LESSON}.html").read_text()
    errors, nb = _errors(course, "bob")
    assert errors["ex1_check"] == "AssertionError", "the hidden tests, absent from the student version, ran"
    assert "### BEGIN HIDDEN TESTS" in "".join(_graded_cells(nb)["ex1_check"]["source"])


def test_grading_kernel_gets_the_environment_and_odd_hand_ins_are_reported(tmp_path, monkeypatch):
    """A tiny lesson: the kernel sees nbgrader's flag, quick mode and the offline settings."""
    monkeypatch.delenv("TL_COURSE_QUICK", raising=False)
    env = {k: os.environ.get(k, "") for k in ("KERAS_HOME", "TL_COURSE_DATA", "TL_COURSE_OFFLINE")}
    def code(source, **nbgrader):
        meta = {"nbgrader": {"schema_version": 3, "solution": False, "grade": False, "task": False,
                             "locked": not nbgrader.get("solution"), **nbgrader}} if nbgrader else {}
        return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}
    lesson = {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5, "cells": [
        code("import os\nfrom tl_course.core import settings"),
        code("def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION", grade_id="ex1_solution", solution=True),
        code("assert answer() == 42, 'expected 42'\n### BEGIN HIDDEN TESTS\nassert answer() + 1 == 43\n### END HIDDEN TESTS",
             grade_id="ex1_check", grade=True, points=2),
        code("int('lesson code that breaks')"),
        code(f"assert {{k: os.environ.get(k, '') for k in {list(env)}}} == {env}\n"
             "assert os.environ['NBGRADER_EXECUTION'] == 'autograde' and os.environ['TL_COURSE_QUICK'] == '1'\n"
             "del os.environ['TL_COURSE_QUICK']\nassert settings.quick_mode()",
             grade_id="env_check", grade=True, points=1),
    ]}
    _write(tmp_path / "notebooks" / "00_setup.ipynb", lesson)
    course, subs = tmp_path / "course", tmp_path / "subs"
    grading.release(["00"], course, tmp_path / "notebooks")
    answered = _answered(_nb(course / "release" / "00_setup" / "00_setup.ipynb"), lesson)
    draft = _write(subs / "ann" / "draft" / "00_setup.ipynb", _nb(course / "release" / "00_setup" / "00_setup.ipynb"))
    os.utime(draft, (time.time() - 3600, time.time() - 3600))  # an older, unanswered copy
    _write(subs / "ann" / "00_setup.ipynb", answered)
    _write(subs / "ben" / "00_setup.ipynb", "{not json")
    _write(subs / "cy" / "homework.ipynb", answered)
    _write(subs / "bad name!" / "00_setup.ipynb", answered)
    submissions, problems, scores = grading.grade(subs, course, exercise_timeout=TIMEOUT, log=lambda line: None,
                                                  all_cells=True)  # every cell: the fast profile refuses this lesson (below)
    assert [(s.student, s.notes) for s in submissions] == [("ann", ["lesson cell 3 raised ValueError: invalid literal for int() with base 10: 'lesson code that breaks'"])]
    assert {(s.exercise, s.score, s.max_score) for s in scores} == {("ex1", 2, 2), ("env_check", 1, 1)}
    assert len(problems) == 4 and "ann: 2 notebooks for 00_setup, graded the newest, 00_setup.ipynb" in problems[0]
    assert "bad name!: skipped" in problems[1] and "ben: 00_setup.ipynb is not a notebook" in problems[2]
    assert "cy: ignored homework.ipynb" in problems[3]
    assert "TL_COURSE_QUICK" not in os.environ, "the grading environment is undone"
    with pytest.raises(RuntimeError, match=r"00_setup: the lesson's own solution fails in the grading profile on this machine \(cell 3 raised ValueError\)"):
        grading.grade(subs, course, exercise_timeout=TIMEOUT, log=lambda line: None, force=True)
    assert not (course / "cache" / "00_setup").exists(), "no warm cache is left from a failed warm-up"
