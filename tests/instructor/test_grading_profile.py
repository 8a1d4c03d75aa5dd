"""The fast grading profile: which cells it skips, that no lesson needs them, and the warm cache."""

import json
import os
from pathlib import Path

import pytest

from tl_course.core.manifest import LESSONS
from tl_course.instructor import grading, grading_profile

ROOT = Path(__file__).resolve().parents[2]


def _code(source, tags=(), **nbgrader):
    meta = {"tags": list(tags)} if tags else {}
    if nbgrader:
        meta["nbgrader"] = {"schema_version": 3, "solution": False, "grade": False, "task": False, "locked": True, **nbgrader}
    return {"cell_type": "code", "id": f"c{abs(hash(source)) % 10**8}", "metadata": meta, "source": source,
            "outputs": [], "execution_count": None}


def _lesson(*cells):
    return {"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5, "cells": list(cells)}


LESSON = _lesson(
    _code("x = 1"),
    _code("slow = sum(range(10))\nprint(slow)", tags=["demonstration"]),
    _code("def answer():\n    return x", grade_id="ex1_solution", solution=True, locked=False),
    _code("assert answer() == 1", tags=["demonstration"], grade_id="ex1_check", grade=True, points=1),
)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_no_kept_cell_needs_a_demonstration(lesson):
    assert grading_profile.kept_cells_need(ROOT / lesson.notebook) == []
    nb = json.loads((ROOT / lesson.notebook).read_text())
    sources = grading_profile.demonstrations(nb)
    kept = [c for c in nb["cells"] if c["cell_type"] == "code" and grading_profile.TAG not in c["metadata"].get("tags", [])]
    assert not [c["source"] for c in kept if "".join(c["source"]).strip() in sources], "a kept cell with a demonstration's source would be skipped"


def test_a_lesson_that_would_break_is_caught():
    broken = _lesson(_code("y = 2", tags=["demonstration"]), _code("def f():\n    return y"), _code("z = [y for _ in x]"))
    assert grading_profile.kept_cells_need(broken) == [(1, "y"), (2, "y")], "x is never defined: not the profile's doing"


def test_demonstrations_are_commented_out_by_source_and_checks_never():
    assert grading_profile.demonstrations(LESSON) == {LESSON["cells"][1]["source"]}
    submitted = json.loads(json.dumps(LESSON))
    submitted["cells"][1]["id"] = "new-id-from-colab"  # matched by its unchanged source
    edited = json.loads(json.dumps(LESSON["cells"][1]))  # same id, edited by the student: it runs
    edited["source"] += "  # the student's copy, edited"
    submitted["cells"].insert(2, edited)
    assert grading_profile.skip_demonstrations(submitted, LESSON) == 1
    assert submitted["cells"][1]["source"].splitlines() == [grading_profile._NOTE.strip(), "# slow = sum(range(10))", "# print(slow)"]
    assert submitted["cells"][2]["source"].startswith("slow = "), "an edited demonstration runs"
    assert submitted["cells"][4]["source"] == "assert answer() == 1", "a check is never skipped"


def test_the_preprocessor_reads_the_lessons_own_tags(tmp_path):
    (tmp_path / "source" / "00_setup").mkdir(parents=True)
    (tmp_path / "source" / "00_setup" / "00_setup.ipynb").write_text(json.dumps(LESSON))
    untagged = json.loads(json.dumps(LESSON))
    untagged["cells"][1]["metadata"] = {}  # the student's tags are not what counts
    resources = {"nbgrader": {"assignment": "00_setup", "notebook": "00_setup"}}
    pre = grading_profile.SkipDemonstrations(source_dir=str(tmp_path / "source"))
    nb, _ = pre.preprocess(untagged, resources)
    assert nb["cells"][1]["source"].startswith("# skipped by `tl-course grade`")
    tagged_by_student = json.loads(json.dumps(LESSON))
    tagged_by_student["cells"][0]["metadata"]["tags"] = ["demonstration"]
    nb, _ = pre.preprocess(tagged_by_student, resources)
    assert nb["cells"][0]["source"] == "x = 1"


def test_configure_puts_the_preprocessor_before_execute(tmp_path):
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    c = grading.configure(Config(), tmp_path)
    chain = c.Autograde.autograde_preprocessors
    assert chain[0] is grading_profile.SkipDemonstrations and chain[1] is Execute
    assert c.SkipDemonstrations.source_dir == str(tmp_path.resolve() / "source") and c.SkipDemonstrations.enabled
    assert grading.configure(Config(), tmp_path, all_cells=True).SkipDemonstrations.enabled is False


def test_each_submission_gets_its_own_copy_of_the_warm_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_COURSE_CACHE", "/elsewhere")
    (tmp_path / "warm" / "cache" / "embeddings").mkdir(parents=True)
    (tmp_path / "warm" / "cache" / "embeddings" / "a.npz").write_bytes(b"warm")
    with grading_profile.fresh_cache(tmp_path / "warm") as cache:
        assert os.environ["TL_COURSE_CACHE"] == str(cache) and (cache / "embeddings" / "a.npz").read_bytes() == b"warm"
        (cache / "embeddings" / "a.npz").write_bytes(b"poisoned by a student's kernel")
    assert (tmp_path / "warm" / "cache" / "embeddings" / "a.npz").read_bytes() == b"warm"
    assert os.environ["TL_COURSE_CACHE"] == "/elsewhere" and not cache.exists()


def test_warm_cache_runs_the_solution_once_and_refuses_a_lesson_that_fails(tmp_path):
    lesson = tmp_path / "source" / "00_setup.ipynb"
    lesson.parent.mkdir()
    writes = _code("import os, pathlib\n(pathlib.Path(os.environ['TL_COURSE_CACHE']) / 'made').mkdir(parents=True)\n"
                   "assert os.environ['NBGRADER_EXECUTION'] == 'autograde'")
    lesson.write_text(json.dumps(_lesson(writes, *LESSON["cells"])))
    lines = []
    warm = grading_profile.warm_cache(lesson, tmp_path / "cache", grading.CellTimeout(30, 60), lines.append)
    assert (warm / "cache" / "made").is_dir() and "warm cache made" in lines[-1]
    grading_profile.warm_cache(lesson, tmp_path / "cache", grading.CellTimeout(30, 60), lines.append)
    assert "warm cache kept" in lines[-1], "an unchanged lesson is not run again"
    lesson.write_text(json.dumps(_lesson(_code("x = 1"), _code("raise ValueError('no photos here')"))))
    with pytest.raises(RuntimeError, match=r"00_setup: the lesson's own solution fails in the grading profile .*cell 1 raised ValueError"):
        grading_profile.warm_cache(lesson, tmp_path / "cache", grading.CellTimeout(30, 60), lines.append)
    assert not (tmp_path / "cache").exists()
