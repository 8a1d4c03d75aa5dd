"""Hand out the lessons and autograde them with nbgrader, locally (no JupyterHub, no Docker).

`tl-course release` and `tl-course grade` call these functions; INSTRUCTORS.md is the guide.
The lesson notebooks in `notebooks/` stay the single source of truth: their nbgrader cell
metadata (`exN_solution` and `exN_check` cells, points, `### BEGIN SOLUTION` and
`### BEGIN HIDDEN TESTS` markers) is all nbgrader needs. A course folder (default `./course`)
holds nbgrader's layout:

```
course/
  nbgrader_config.py            written once by `release`; edit it to change the timeouts
  gradebook.db                  the SQLite gradebook
  source/NN_topic/NN_topic.ipynb             copied from notebooks/ by `release`
  release/NN_topic/NN_topic.ipynb            the student version to hand out
  submitted/STUDENT/NN_topic/NN_topic.ipynb  collected by `grade`
  autograded/STUDENT/NN_topic/NN_topic.ipynb executed and scored by nbgrader
  feedback/STUDENT/NN_topic/NN_topic.html    with `grade --feedback`
  grades.csv                    one row per student, lesson and exercise
  cache/NN_topic/               the warm cache each grading kernel starts from (see `grading_profile`)
  shards/grades-shard-I-of-N.csv             written by `grade --shard I/N` (see `shards`)
```

Autograding runs each notebook in quick mode (`TL_COURSE_QUICK=1`; nbgrader also sets
`NBGRADER_EXECUTION`, which `settings.quick_mode()` honours) in a kernel that inherits this
process's environment (`KERAS_HOME`, `TL_COURSE_DATA`, `TL_COURSE_MODELS`, `TL_COURSE_OFFLINE`). Every cell has a
timeout: exercise cells (the student's code and its checks) a short one, the lesson's own cells
a long one. A cell that runs past it is interrupted, scores zero, and grading goes on.
By default grading runs in the fast profile of `grading_profile` (demonstrations skipped, a warm
cache per lesson); `all_cells=True` (`--all-cells`) runs every cell of every submission.
"""

import contextlib
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

from tl_course.core.manifest import get_lesson, lesson_names, notebook_path
from tl_course.instructor import grading_profile
from tl_course.instructor.gradebook import COURSE_ID, cell_notes, exercise_scores, write_csv
from tl_course.instructor.handins import collect, student_ids
from tl_course.instructor.integrity import review
from tl_course.instructor.shards import shard_csv, shard_students

__all__ = [
    "EXERCISE_TIMEOUT",
    "LESSON_TIMEOUT",
    "CellTimeout",
    "configure",
    "find_lessons",
    "grade",
    "load_config",
    "release",
]

EXERCISE_TIMEOUT = 120  # seconds per exercise cell (solution and check cells)
LESSON_TIMEOUT = 600  # seconds per lesson cell (data, training, plots)
_CONFIG_TEMPLATE = '''\
"""nbgrader settings for this course folder, written by `tl-course release`.

nbgrader reads this file when it runs in this folder (`nbgrader formgrader`, `nbgrader export`);
`tl-course grade` reads it too. Timeouts are seconds per cell; `tl-course grade --timeout`
overrides the exercise one for a single run.
"""
from tl_course.instructor import grading

c = get_config()  # noqa: F821 (defined by nbgrader's config loader)
grading.configure(c, exercise_timeout={exercise}, lesson_timeout={lesson})
'''


class CellTimeout:
    """Per-cell timeout for nbgrader's `Execute` preprocessor (its `timeout_func`).

    Args:
        exercise: seconds for nbgrader solution and grade cells (the student's code, the checks).
        lesson: seconds for every other cell.
    """

    def __init__(self, exercise=EXERCISE_TIMEOUT, lesson=LESSON_TIMEOUT):
        for name, value in (("exercise", exercise), ("lesson", lesson)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"expected a positive {name} timeout in seconds, received {value!r}")
        self.exercise, self.lesson = exercise, lesson

    def __call__(self, cell):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        return self.exercise if meta.get("solution") or meta.get("grade") else self.lesson

    def __repr__(self):
        return f"CellTimeout(exercise={self.exercise}, lesson={self.lesson})"


def configure(c, root=None, exercise_timeout=EXERCISE_TIMEOUT, lesson_timeout=LESSON_TIMEOUT, all_cells=False):
    """Apply the course's nbgrader settings to the config object `c`; returns `c`.

    Used by the course folder's `nbgrader_config.py` and by the repository's own. Autograding skips
    the lessons' demonstration cells (`grading_profile.SkipDemonstrations`) unless `all_cells`.
    """
    from nbgrader.converters import Autograde

    if root is not None:
        c.CourseDirectory.root = str(Path(root).resolve())
    root = Path(c.CourseDirectory.root if "root" in c.CourseDirectory else Path.cwd())
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    c.Autograde.autograde_preprocessors = [grading_profile.SkipDemonstrations] + [
        p for p in default if p is not grading_profile.SkipDemonstrations]
    c.SkipDemonstrations.source_dir = str(root / "source")
    c.SkipDemonstrations.enabled = not all_cells
    c.CourseDirectory.course_id = COURSE_ID
    c.Execute.timeout = int(lesson_timeout)  # nbgrader's trait is an Integer; timeout_func wins anyway
    c.Execute.timeout_func = CellTimeout(exercise_timeout, lesson_timeout)
    c.Execute.interrupt_on_timeout = True  # a looping cell is interrupted; later cells still run
    c.OverwriteCells.add_missing_cells = True  # a deleted check cell is put back and run
    return c


def load_config(course_dir, exercise_timeout=None, lesson_timeout=None, all_cells=False):
    """Return the nbgrader `Config` of a course folder, with optional timeout overrides."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    c = Config()
    if (course_dir / "nbgrader_config.py").exists():
        c.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config())
    current = c.Execute.get("timeout_func")
    current = current if isinstance(current, CellTimeout) else CellTimeout()
    return configure(c, course_dir, exercise_timeout or current.exercise, lesson_timeout or current.lesson, all_cells)


def _default_notebooks_dir():
    for candidate in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        if all(notebook_path(name, candidate).is_file() for name in lesson_names()):
            return candidate
    raise FileNotFoundError(f"expected the lesson notebooks in {Path.cwd() / 'notebooks'}, received none: "
                            "run from the course checkout or pass --notebooks DIR")


def find_lessons(names=None, notebooks_dir=None):
    """Return the lesson notebooks (`NN_topic.ipynb` paths) named by `names`, or all of the manifest's, in order.

    Args:
        names: lesson names such as `"00"`, `"00_setup"` or `"notebooks/00_setup.ipynb"`; None for all.
        notebooks_dir: the folder of lessons (default: `./notebooks`, else the checkout's).

    Raises:
        ValueError: a name matches no lesson of the manifest.
        FileNotFoundError: a chosen lesson's notebook is not in `notebooks_dir`.
    """
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else _default_notebooks_dir()
    chosen = [get_lesson(name).name for name in names] if names else lesson_names()
    paths = [notebook_path(name, notebooks_dir) for name in chosen]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"expected the lesson notebooks {', '.join(missing)}, received no such files")
    return paths


@contextlib.contextmanager
def _grading_environment():
    """Quick mode for the grading kernels; nbgrader's `alembic` on PATH even without an activated venv."""
    values = {"TL_COURSE_QUICK": "1",
              "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}  # C++ log lines would bury the progress
    if not shutil.which("alembic"):
        values["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with grading_profile.environment(**values), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy warnings from nbgrader's gradebook
        yield


def _api(course_dir, **settings):
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(config=load_config(course_dir, **settings))


def _failure(result):
    lines = [line for line in (result.get("log") or "").splitlines() if "[ERROR]" in line]
    return "\n".join(lines[-3:]) or (result.get("error") or "unknown error").strip().splitlines()[-1]


_LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def release(lessons=None, course_dir="course", notebooks_dir=None):
    """Make the student versions of lessons with nbgrader's `generate_assignment`.

    Copies each lesson into `course_dir/source/NN_topic/`, records its graded cells and points in
    the gradebook, and writes `course_dir/release/NN_topic/NN_topic.ipynb`: solutions replaced by
    `raise NotImplementedError()`, hidden tests removed, check cells locked.

    Returns the released notebook paths. Raises `RuntimeError` when nbgrader refused a lesson (its log
    says why) or markers survived.
    """
    lessons = find_lessons(lessons, notebooks_dir)
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    config_file = course_dir / "nbgrader_config.py"
    if not config_file.exists():
        config_file.write_text(_CONFIG_TEMPLATE.format(exercise=EXERCISE_TIMEOUT, lesson=LESSON_TIMEOUT))
    released = []
    with _grading_environment():
        api = _api(course_dir)
        for lesson in lessons:
            source = course_dir / "source" / lesson.stem / lesson.name
            source.parent.mkdir(parents=True, exist_ok=True)
            if not source.exists() or source.read_bytes() != lesson.read_bytes():
                shutil.copyfile(lesson, source)  # a newer source makes `grade` redo its submissions
            result = api.generate_assignment(lesson.stem, force=True, create=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader could not release {lesson.stem}:\n{_failure(result)}")
            target = course_dir / "release" / lesson.stem / lesson.name
            leaked = [m for m in _LEAKS if m in target.read_text()]
            if leaked:
                raise RuntimeError(f"{target} still holds {leaked}: check the markers in {lesson}")
            released.append(target)
    return released


def _check_assets(lessons, log):
    """Refuse to grade offline a lesson this machine cannot run: every student would lose its points."""
    from tl_course.core import settings
    from tl_course.lessons import setup

    readiness = setup.lesson_readiness()
    for lesson in sorted(lessons):
        missing = readiness.get(lesson, [])
        if missing and settings.offline():
            raise FileNotFoundError(f"expected the files {lesson} needs offline, received none for {', '.join(missing)}: "
                                    "see `tl-course doctor`, then grade again")
        if missing:
            log(f"{lesson}: the grading kernels will download {', '.join(missing)}")


def grade(submissions_dir, course_dir="course", lessons=None, exercise_timeout=None, lesson_timeout=None,
          force=False, feedback=False, csv_path=None, log=print, shard=None, all_cells=False):
    """Collect, autograde, export: the whole of `tl-course grade`.

    Args:
        submissions_dir: one folder per student, holding the `.ipynb` files they handed in.
        course_dir: the course folder `release` made.
        lessons: lesson names to grade (default: every released lesson).
        exercise_timeout, lesson_timeout: seconds per cell (default: the course's config).
        force: autograde again even the notebooks that have not changed since the last run.
        feedback: also write HTML feedback into `course_dir/feedback/`.
        csv_path: where to export the grades (default `course_dir/grades.csv`).
        log: called with one line of progress at a time.
        shard: (i, n) to grade only shard i of n of the students (`shards.shard_students`); the scores
            are then those students' only, exported to `shards.shard_csv(course_dir, i, n)` by default.
        all_cells: run every cell of every submission, without the fast profile's warm cache.

    Returns:
        (submissions, problems, scores): the `Submission`s (with notes on timeouts, restored cells
        and failures), lines about what was skipped, and `gradebook.exercise_scores(course_dir)`
        with the `review` flags of `integrity.review`.
    """
    course_dir = Path(course_dir).resolve()
    students = None if shard is None else set(shard_students(student_ids(submissions_dir), *shard))
    with _grading_environment():
        submissions, problems = collect(submissions_dir, course_dir, lessons, force, students)
        _check_assets({s.lesson for s in submissions if s.changed}, log)
        api = _api(course_dir, exercise_timeout=exercise_timeout, lesson_timeout=lesson_timeout, all_cells=all_cells)
        warm = {}
        for sub in submissions:
            if not sub.changed:
                log(f"{sub.student} {sub.lesson}: unchanged since it was graded, kept")
                continue
            if not all_cells and sub.lesson not in warm:
                warm[sub.lesson] = grading_profile.warm_cache(
                    course_dir / "source" / sub.lesson / f"{sub.lesson}.ipynb", course_dir / "cache" / sub.lesson,
                    api.config.Execute.timeout_func, log)
            start = time.perf_counter()
            with grading_profile.fresh_cache(warm[sub.lesson]) if not all_cells else contextlib.nullcontext():
                result = api.autograde(sub.lesson, sub.student, force=True, create=True)
            graded = course_dir / "autograded" / sub.student / sub.lesson / f"{sub.lesson}.ipynb"
            if result["success"] and graded.exists():
                sub.notes += cell_notes(json.loads(graded.read_text()))
            else:
                sub.notes.append(f"nbgrader failed: {_failure(result)}")
            if feedback and result["success"]:
                api.generate_feedback(sub.lesson, sub.student)
            log(f"{sub.student} {sub.lesson}: graded in {time.perf_counter() - start:.0f} s"
                + "".join(f"; {note}" for note in sub.notes))
        scores = [s for s in exercise_scores(course_dir) if students is None or s.student in students]
    scores = review(scores, course_dir)
    write_csv(scores, csv_path or (shard_csv(course_dir, *shard) if shard else course_dir / "grades.csv"))
    return submissions, problems, scores
