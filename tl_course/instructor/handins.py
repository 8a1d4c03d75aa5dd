"""Collect students' hand-ins into nbgrader's course layout, repairing what notebook editors change.

Part of the grading pipeline (`tl_course.instructor.grading`, `tl-course grade`; see INSTRUCTORS.md).
Students hand in `.ipynb` files from Jupyter or Colab, one folder per student. Names vary
(`Copy of 00_setup.ipynb`), folders nest, and an editor may drop the nbgrader cell metadata that
tells nbgrader which cells are answers and checks; `collect` copes with all three.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from tl_course.core.manifest import get_lesson

__all__ = ["Submission", "collect", "restore_metadata", "student_ids"]

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")  # nbgrader treats student ids as globs


def restore_metadata(submitted, released):
    """Put back nbgrader cell metadata that a notebook editor dropped; returns the grade_ids restored.

    nbgrader finds answers and checks by their cell metadata. Cells that lost it are matched to
    the student version `released`, in order: locked cells by their exact source, answer cells by
    their first line (`def count_images(root):`). Both arguments are notebook dicts; `submitted`
    is changed in place.
    """
    present = {c["metadata"].get("nbgrader", {}).get("grade_id") for c in submitted["cells"]}
    restored, start = [], 0
    for ref in released["cells"]:
        meta = ref["metadata"].get("nbgrader")
        if not meta or meta["grade_id"] in present:
            continue
        ref_source = "".join(ref["source"])
        first = ref_source.strip().splitlines()[0] if ref_source.strip() else None
        for i in range(start, len(submitted["cells"])):
            cell = submitted["cells"][i]
            if "nbgrader" in cell["metadata"] or cell["cell_type"] != ref["cell_type"]:
                continue
            source = "".join(cell["source"])
            if source == ref_source or (meta.get("solution") and first and source.strip().startswith(first)):
                cell["metadata"]["nbgrader"] = dict(meta)
                restored.append(meta["grade_id"])
                start = i + 1
                break
    return restored


@dataclass
class Submission:
    """One student's notebook for one lesson, as `collect` found it."""

    student: str
    lesson: str
    path: Path
    changed: bool = True
    notes: list = field(default_factory=list)


def _lesson_of(path, lessons):
    return next((lesson for lesson in lessons if lesson in path.stem), None)


def student_ids(submissions_dir):
    """Return the sorted names of the student folders in `submissions_dir` that are valid student ids.

    Raises:
        FileNotFoundError: `submissions_dir` is not a folder.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"expected a folder with one sub-folder per student, received {submissions_dir}")
    return sorted(p.name for p in submissions_dir.iterdir() if p.is_dir() and _STUDENT_ID.match(p.name))


def collect(submissions_dir, course_dir="course", lessons=None, force=False, students=None):
    """Copy hand-ins (one folder per student) into `course_dir/submitted/`.

    `students`, when given, limits the collection to those student folders (a shard of the class).

    A student folder may hold the notebooks at any depth, under any name that contains the lesson
    name (`00_setup.ipynb`, `Copy of 00_setup.ipynb`, `00_setup (1).ipynb`: the newest wins).

    Returns:
        (submissions, problems): `Submission`s to grade (`changed` is False when the same notebook
        was already autograded and `force` is False), and lines describing what was skipped.
    """
    submissions_dir, course_dir = Path(submissions_dir), Path(course_dir).resolve()
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"expected a folder with one sub-folder per student, received {submissions_dir}")
    released = sorted(p.name for p in (course_dir / "release").glob("[0-9][0-9]_*") if p.is_dir())
    if not released:
        raise ValueError(f"expected released lessons in {course_dir / 'release'}, received none: "
                         "run `tl-course release` first")
    wanted = [get_lesson(name).name for name in lessons] if lessons else released
    unreleased = sorted(set(wanted) - set(released))
    if unreleased:
        raise ValueError(f"Expected lessons released in {course_dir / 'release'}; received {', '.join(unreleased)}, "
                         f"which are not: run `tl-course release {' '.join(unreleased)}` first.")
    found, problems = [], []
    for folder in sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if students is not None and folder.name not in students and _STUDENT_ID.match(folder.name):
            continue
        if not _STUDENT_ID.match(folder.name):
            problems.append(f"{folder.name}: skipped, a student folder name may hold only letters, digits and ._@-")
            continue
        notebooks = [p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        for path in notebooks:
            if _lesson_of(path, wanted) is None and _lesson_of(path, released) is None:
                problems.append(f"{folder.name}: ignored {path.relative_to(folder)}, its name contains no lesson name")
        for lesson in wanted:
            matches = sorted((p for p in notebooks if _lesson_of(p, wanted) == lesson), key=lambda p: p.stat().st_mtime)
            if len(matches) > 1:
                problems.append(f"{folder.name}: {len(matches)} notebooks for {lesson}, graded the newest, "
                                f"{matches[-1].relative_to(folder)}")
            if matches:
                found.append(_collect_one(folder.name, lesson, matches[-1], course_dir, force, problems))
    return [s for s in found if s is not None], problems


def _collect_one(student, lesson, path, course_dir, force, problems):
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb["cells"]  # noqa: B018 (a JSON file that is not a notebook fails here)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        problems.append(f"{student}: {path.name} is not a notebook ({type(error).__name__}); scored nothing")
        return None
    released = json.loads((course_dir / "release" / lesson / f"{lesson}.ipynb").read_text())
    notes = [f"restored nbgrader metadata of {', '.join(ids)}" for ids in [restore_metadata(nb, released)] if ids]
    text = json.dumps(nb, indent=1, ensure_ascii=False)
    target = course_dir / "submitted" / student / lesson / f"{lesson}.ipynb"
    graded = course_dir / "autograded" / student / lesson / f"{lesson}.ipynb"
    source = course_dir / "source" / lesson / f"{lesson}.ipynb"
    changed = (force or not graded.exists() or graded.stat().st_mtime < source.stat().st_mtime
               or not target.exists() or target.read_text(encoding="utf-8") != text)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Submission(student, lesson, target, changed, notes)
