"""Sharding a class over machines and merging the shard gradebooks; the grading step is faked (no kernel)."""

import json
import shutil

import pytest

from tl_course import cli
from tl_course.instructor import gradebook, grading, grading_profile, shards

LESSON = "00_setup"
STUDENTS = ["Zed", "al", "ann", "bo", "cy", "dee", "ed", "mallory"]


def test_shard_is_parsed_and_checked():
    assert shards.parse_shard("2/4") == (2, 4) and shards.parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/2", "3/2", "2", "a/b", "-1/2", "1/0", ""):
        with pytest.raises(ValueError, match="expected --shard i/n with whole numbers 1 <= i <= n"):
            shards.parse_shard(bad)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 11])
def test_every_student_is_in_exactly_one_shard(count):
    parts = [shards.shard_students(STUDENTS, i, count) for i in range(1, count + 1)]
    assert sorted(s for part in parts for s in part) == sorted(STUDENTS)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1, "every n-th student: sizes differ by one at most"
    assert parts == [shards.shard_students(list(reversed(STUDENTS)), i, count) for i in range(1, count + 1)], \
        "the split depends on the names only"
    assert shards.shard_students(STUDENTS, 1, 3) == ["Zed", "bo", "ed"]  # sorted as Python sorts: Z before a


# A fake grading step: nbgrader's autograde copies the notebook; the "gradebook" scores an answer
# cell 1 point when it returns 42. Everything else (collect, shard, review, CSV, table) is real.

def _code(source, **nbgrader):
    meta = {"nbgrader": {"schema_version": 3, "solution": False, "grade": False, "task": False,
                         "locked": not nbgrader.get("solution"), **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def _notebook(ex1, ex2):
    return {"metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": [
        _code("import numpy as np"),
        _code(ex1, grade_id="ex1_solution", solution=True),
        _code("assert np.allclose(one(), 42)", grade_id="ex1_check", grade=True, points=1),
        _code(ex2, grade_id="ex2_solution", solution=True),
        _code("assert two() == 42", grade_id="ex2_check", grade=True, points=1)]}


class _FakeApi:
    def __init__(self, course):
        self.course = course
        self.config = grading.load_config(course)

    def autograde(self, lesson, student, force, create):
        graded = self.course / "autograded" / student / lesson / f"{lesson}.ipynb"
        graded.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.course / "submitted" / student / lesson / f"{lesson}.ipynb", graded)
        return {"success": True}


def _fake_scores(course):
    scores = []
    for path in sorted((course / "autograded").glob(f"*/{LESSON}/{LESSON}.ipynb")):
        cells = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in json.loads(path.read_text())["cells"]
                 if "nbgrader" in c["metadata"]}
        scores += [gradebook.Score(path.parts[-3], LESSON, ex, float("return 42" in cells[f"{ex}_solution"]), 1.0, False)
                   for ex in ("ex1", "ex2")]
    return gradebook.sort_scores(scores)


@pytest.fixture
def handins(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "_api", lambda course_dir, **timeouts: _FakeApi(course_dir))
    monkeypatch.setattr(grading, "_check_assets", lambda lessons, log: None)
    monkeypatch.setattr(grading, "exercise_scores", _fake_scores)
    monkeypatch.setattr(grading_profile, "warm_cache", lambda lesson, cache_dir, timeout_func, log: cache_dir)  # no kernel
    subs = tmp_path / "handins"
    for i, student in enumerate(STUDENTS):
        answer = "def one():\n    return 42" if i % 3 else "def one():\n    return 41"
        cheat = "np.allclose = lambda *a, **k: True\ndef two():\n    return 42" if student == "mallory" else "def two():\n    return 42"
        path = subs / student / f"Copy of {LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_notebook(answer, cheat)))
    return subs


def _course(folder):
    """What `tl-course release` leaves on a machine: the source and the student version."""
    student_version = _notebook("raise NotImplementedError()", "raise NotImplementedError()")
    for kind in ("source", "release"):
        (folder / kind / LESSON).mkdir(parents=True)
        (folder / kind / LESSON / f"{LESSON}.ipynb").write_text(json.dumps(student_version))
    return folder


def _table(out):
    return out[out.index(f"\n{LESSON}\n| student"):out.rindex("|") + 1]


def test_two_shards_on_two_machines_merge_into_the_single_run(handins, tmp_path, capsys):
    single = _course(tmp_path / "single")
    assert cli.main(["grade", str(handins), "--course", str(single)]) == 0
    single_out = capsys.readouterr().out
    assert "np.allclose (imported numpy)" in single_out, "the cheat is in the table's review column"
    collected = tmp_path / "collected"  # what the instructor copies back from the machines
    for i in (1, 2):
        machine = _course(tmp_path / f"machine{i}")
        assert cli.main(["grade", str(handins), "--course", str(machine), "--shard", f"{i}/2"]) == 0
        out = capsys.readouterr().out
        mine = shards.shard_students(STUDENTS, i, 2)
        assert {s.student for s in gradebook.read_csv(machine / "shards" / f"grades-shard-{i}-of-2.csv")} == set(mine)
        assert all(f"| {s} " in out for s in mine) and not any(f"| {s} " in out for s in STUDENTS if s not in mine)
        assert not (machine / "grades.csv").exists() and sorted(p.name for p in (machine / "submitted").iterdir()) == mine
        shutil.copytree(machine / "shards", collected, dirs_exist_ok=True)
    merged = tmp_path / "merged" / "grades.csv"
    assert cli.main(["grade", "--merge", str(collected), "--csv", str(merged)]) == 0
    out = capsys.readouterr().out
    assert merged.read_text() == (single / "grades.csv").read_text()
    assert _table(out) == _table(single_out) and f"grades of {len(STUDENTS)} students merged into {merged}" in out
    assert [s.review for s in gradebook.read_csv(merged) if s.review] == ["ex2_solution line 1: assigns np.allclose (imported numpy)"]


def test_shards_graded_in_turn_in_one_course_folder_merge_from_its_shards_folder(handins, tmp_path, capsys):
    course = _course(tmp_path / "course")
    for i in (1, 2, 3):
        assert cli.main(["grade", str(handins), "--course", str(course), "--shard", f"{i}/3"]) == 0
    assert cli.main(["grade", "--merge", "--course", str(course)]) == 0
    assert "merged into" in capsys.readouterr().out
    single = _course(tmp_path / "single")
    grading.grade(handins, single, log=lambda line: None)
    assert (course / "grades.csv").read_text() == (single / "grades.csv").read_text()


def _shard_file(folder, name, rows):
    return gradebook.write_csv([gradebook.Score(*row) for row in rows], folder / name)


@pytest.mark.parametrize("files, error", [
    ({}, "expected grades-shard-I-of-N.csv files"),
    ({"grades-shard-1-of-2.csv": [("al", LESSON, "ex1", 1, 1, False)]}, "received none for grades-shard-2-of-2.csv"),
    ({"grades-shard-1-of-2.csv": [], "grades-shard-2-of-2.csv": [], "grades-shard-1-of-3.csv": []},
     "received files of 2 and 3 shards"),
    ({"grades-shard-1-of-2.csv": [("al", LESSON, "ex1", 1, 1, False)],
      "grades-shard-2-of-2.csv": [("al", LESSON, "ex2", 1, 1, False)]}, "received al in both grades-shard-1-of-2.csv and"),
    ({"grades-shard-1-of-1.csv": [("al", LESSON, "ex1", 1, 1, False), ("al", LESSON, "ex1", 0, 1, False)]},
     "received ('al', '00_setup', 'ex1') twice"),
    ({"grades-shard-1-of-2.csv": [("al", LESSON, "ex1", 1, 1, False)],
      "grades-shard-2-of-2.csv": [("bo", LESSON, "ex1", 1, 2, False)]}, "expected the same exercises and points for 00_setup"),
    ({"grades-shard-1-of-2.csv": [("al", LESSON, "ex1", 1, 1, False)],
      "grades-shard-2-of-2.csv": [("bo", LESSON, "ex1", 1, 1, False), ("bo", LESSON, "ex2", 1, 1, False)]},
     "expected the same exercises and points for 00_setup"),
    ({"grades-shard-3-of-2.csv": []}, "with 1 <= I <= N, received grades-shard-3-of-2.csv: rename or remove it"),
    ({"grades-shard-1.csv": []}, "received grades-shard-1.csv: rename or remove it"),
])
def test_merge_refuses_what_does_not_add_up(tmp_path, capsys, files, error):
    folder = tmp_path / "collected"
    folder.mkdir()
    for name, rows in files.items():
        _shard_file(folder, name, rows)
    with pytest.raises((ValueError, FileNotFoundError)) as caught:
        shards.merge(folder)
    assert error in str(caught.value)
    assert cli.main(["grade", "--merge", str(folder), "--course", str(tmp_path / "course")]) == 2
    assert error in capsys.readouterr().err and not (tmp_path / "course").exists()


def test_merge_reads_only_csvs_and_notes_lessons_some_shards_lack(tmp_path):
    folder = tmp_path / "collected"
    folder.mkdir()
    _shard_file(folder, "grades-shard-1-of-2.csv", [("bo", LESSON, "ex1", 1, 1, False), ("bo", "01_x", "ex1", 0, 2, False)])
    _shard_file(folder, "grades-shard-2-of-2.csv", [("al", LESSON, "ex1", 0, 1, True)])
    scores, notes = shards.merge(folder)
    assert [(s.lesson, s.student) for s in scores] == [("00_setup", "al"), ("00_setup", "bo"), ("01_x", "bo")]
    assert notes == ["01_x: no rows in grades-shard-2-of-2.csv"]
    (folder / "grades-shard-2-of-2.csv").write_text("name,points\nal,1\n")
    with pytest.raises(ValueError, match="expected a gradebook CSV written by `tl-course grade --shard`"):
        shards.merge(folder)


@pytest.mark.parametrize("argv, error", [
    (["--shard", "0/2"], "expected --shard i/n with whole numbers 1 <= i <= n (such as 1/4), received '0/2'"),
    (["--shard", "3/2"], "received '3/2'"),
    (["--shard", "two"], "received 'two'"),
    (["--shard", "1/2", "--csv", "g.csv"], "expected --shard without --csv"),
    (["--merge"], "expected --merge alone (it reads the shard CSVs only), received also SUBMISSIONS_DIR"),
    (["--merge", "--force"], "received also SUBMISSIONS_DIR, --force"),
])
def test_grade_arguments_that_do_not_fit_are_refused(tmp_path, capsys, argv, error):
    code = cli.main(["grade", str(tmp_path), "--course", str(tmp_path / "course"), *argv])
    assert code == 2 and error in capsys.readouterr().err and not (tmp_path / "course").exists()


def test_grade_without_submissions_or_merge_says_what_it_expects(tmp_path, capsys):
    assert cli.main(["grade", "--course", str(tmp_path / "course")]) == 2
    assert "expected SUBMISSIONS_DIR (one folder per student), or --merge SHARDS_DIR" in capsys.readouterr().err
    assert cli.main(["grade", "--merge", "--shard", "1/2"]) == 2
    assert "received also --shard" in capsys.readouterr().err
