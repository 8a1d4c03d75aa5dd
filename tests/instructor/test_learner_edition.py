"""The learner's editions in notebooks/learner/: regenerated from the lessons, answers stubbed, badges right.

Every lesson of the manifest is covered, so a new lesson gets these tests without edits.
"""

import json
import re
import shutil
from pathlib import Path

import pytest

from tl_course import cli
from tl_course.core.manifest import LESSONS
from tl_course.instructor import learner_edition, notebook_format

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [ROOT / lesson.notebook for lesson in LESSONS]
IDS = [p.stem for p in NOTEBOOKS]
_BADGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\(([^)]+)\)")
_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
_FULL = re.compile(r"\[full lesson, with solutions\]\(([^)]+)\)")


def _lines_between(source, begin, end):
    """Return (lines inside `### BEGIN X`/`### END X` blocks, lines outside), stripped, blank lines dropped."""
    inside, outside, on = [], [], False
    for line in source.splitlines():
        if line.strip() in (begin, end):
            on = line.strip() == begin
        elif line.strip():
            (inside if on else outside).append(line.strip())
    return inside, outside


@pytest.mark.parametrize("lesson", NOTEBOOKS, ids=IDS)
def test_the_committed_learner_edition_is_the_regenerated_one(lesson):
    committed = learner_edition.learner_path(lesson)
    assert committed.is_file(), f"expected {committed.relative_to(ROOT)}: run `tl-course format {lesson.relative_to(ROOT)}`"
    assert committed.read_text(encoding="utf-8") == learner_edition.render(lesson), \
        f"{committed.relative_to(ROOT)} is out of date: run `tl-course format {lesson.relative_to(ROOT)}`"


@pytest.mark.parametrize("lesson", NOTEBOOKS, ids=IDS)
def test_answers_are_stubbed_hidden_tests_removed_visible_checks_kept(lesson):
    source = json.loads(lesson.read_text())["cells"]
    learner = learner_edition.generate(json.loads(lesson.read_text()))["cells"]
    assert len(learner) == len(source)
    first_exercise = next(i for i, c in enumerate(source) if c["metadata"].get("nbgrader", {}).get("solution"))
    assert [c["source"] for c in learner[:first_exercise]] == [c["source"] for c in source[:first_exercise]], \
        "every cell before the first exercise runs as in the lesson"
    for mine, theirs in zip(learner, source):
        meta = theirs["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            answer, kept = _lines_between(theirs["source"], "### BEGIN SOLUTION", "### END SOLUTION")
            lines = [line.strip() for line in mine["source"].splitlines() if line.strip()]
            assert "raise NotImplementedError()" in lines, "nbgrader's stub replaces the answer"
            assert [line for line in lines if line not in _STUB] == kept, "the lines around the answer stay"
            assert not (set(answer) - set(kept)) & set(lines), "no line of the answer survives"
        elif meta.get("grade"):
            hidden, visible = _lines_between(theirs["source"], "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            assert [line.strip() for line in mine["source"].splitlines() if line.strip()] == visible
            assert mine["metadata"]["editable"] is False and mine["metadata"]["nbgrader"]["points"] == meta["points"]
        else:
            assert mine["source"] == theirs["source"]


@pytest.mark.parametrize("lesson", NOTEBOOKS, ids=IDS)
def test_the_badge_opens_the_learner_edition_and_links_the_full_lesson(lesson):
    learner = learner_edition.learner_path(lesson)
    want_badge = notebook_format.colab_url(learner.relative_to(ROOT))
    want_full = notebook_format.colab_url(lesson.relative_to(ROOT))
    for path in (lesson, learner):
        first = json.loads(path.read_text())["cells"][0]["source"]
        assert _BADGE.findall(first) == [want_badge], f"{path.name}: the Colab badge opens the learner's edition"
        assert _FULL.findall(first) == [want_full], f"{path.name}: the full lesson, with solutions, is linked"
    assert notebook_format.problems(learner, ROOT) == []


def test_format_regenerates_the_learner_edition(tmp_path, capsys):
    lesson = tmp_path / "notebooks" / NOTEBOOKS[0].name
    lesson.parent.mkdir()
    shutil.copy(NOTEBOOKS[0], lesson)
    assert cli.main(["format", str(lesson)]) == 0
    learner = lesson.parent / "learner" / lesson.name
    assert learner.read_text() == learner_edition.render(lesson) and "regenerated" in capsys.readouterr().out
    learner.write_text(learner.read_text().replace("raise NotImplementedError()", "pass"))
    assert cli.main(["format", str(learner)]) == 0, "a learner's edition given to format stands for its lesson"
    assert learner.read_text() == learner_edition.render(lesson) and "regenerated" in capsys.readouterr().out
    assert cli.main(["format", str(lesson)]) == 0 and "regenerated" not in capsys.readouterr().out


def test_an_unpaired_marker_or_one_that_survives_is_an_error(monkeypatch):
    nb = json.loads(NOTEBOOKS[0].read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n"})
    with pytest.raises(ValueError, match="nbgrader refuses"):
        learner_edition.generate(nb)
    monkeypatch.setattr(learner_edition, "_preprocessors", lambda: [])  # as if nbgrader let the markers through
    with pytest.raises(ValueError, match="BEGIN SOLUTION"):
        learner_edition.generate(json.loads(NOTEBOOKS[0].read_text()))


def test_the_preprocessors_are_generate_assignments_less_gradebook_header_and_autotests():
    from nbgrader.converters import GenerateAssignment

    theirs = [p.__name__ for p in GenerateAssignment.class_traits()["preprocessors"].default()
              if p.__name__ not in ("IncludeHeaderFooter", "InstantiateTests", "SaveCells")]
    assert [type(p).__name__ for p in learner_edition._preprocessors()] == theirs


def test_learner_editions_are_not_lessons():
    """Nothing that lists lessons (manifest test, nbval run, grading) picks up notebooks/learner/."""
    from tl_course.instructor import grading

    assert all(learner_edition.LEARNER_DIR not in p.parts for p in grading.find_lessons(notebooks_dir=ROOT / "notebooks"))
    assert notebook_format.lesson_path(ROOT / "notebooks" / "learner" / "00_setup.ipynb") == ROOT / "notebooks" / "00_setup.ipynb"
