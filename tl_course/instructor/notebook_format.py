"""Keep lesson notebooks in canonical form: no outputs, sorted keys, stable ids, the Colab badge line.

`tl-course format notebooks/*.ipynb` rewrites notebooks in place (run it
before committing) and regenerates their learner's editions
(`tl_course.instructor.learner_edition`); `problems(path)` lists what is wrong, for the tests.

Each lesson `notebooks/NN_topic.ipynb` and its learner's edition `notebooks/learner/NN_topic.ipynb`
open with the same `badge_line`: the Colab badge opens the learner's edition (answers stubbed), and
a link beside it opens the full lesson, with solutions.
"""

import json
import re
from pathlib import Path

__all__ = ["COLAB_PREFIX", "LEARNER_DIR", "badge_line", "canonical", "colab_url", "dump", "format_notebook",
           "learner_path", "lesson_path", "problems"]

COLAB_PREFIX = "https://colab.research.google.com/github/tl-course/tl-course/blob/main/"
_BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"]+\.ipynb")
_BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
LEARNER_DIR = "learner"


def colab_url(path):
    """Return the Colab URL for a notebook path relative to the repository root."""
    return COLAB_PREFIX + Path(path).as_posix()


def learner_path(lesson):
    """Return the learner's edition of a lesson path: `notebooks/00_setup.ipynb` -> `notebooks/learner/00_setup.ipynb`."""
    lesson = Path(lesson)
    return lesson.parent / LEARNER_DIR / lesson.name


def lesson_path(path):
    """Return the lesson a notebook path belongs to: the path itself, or the source of a learner's edition."""
    path = Path(path)
    return path.parent.parent / path.name if path.parent.name == LEARNER_DIR else path


def badge_line(path):
    """Return the badge line of a lesson or of its learner's edition (the same line), from a repository-relative path.

    The Colab badge opens the learner's edition; the link beside it opens the full lesson, with solutions.
    """
    lesson = lesson_path(path)
    return (f"[![Open In Colab]({_BADGE_SVG})]({colab_url(learner_path(lesson))}) "
            f"(exercises to do) · [full lesson, with solutions]({colab_url(lesson)})")


def canonical(nb):
    """Return a notebook dict without outputs and with cell ids `cell-NN`."""
    nb = json.loads(json.dumps(nb))
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:02d}"
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.setdefault("metadata", {})
        cell["metadata"].pop("execution", None)
        cell["metadata"].pop("collapsed", None)
        cell["metadata"].pop("scrolled", None)
    return nb


def dump(nb):
    """Return a notebook dict as the text it is committed in (sorted keys, one-space indent, final newline)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def format_notebook(path):
    """Rewrite `path` in canonical form; return True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = dump(canonical(json.loads(text)))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def problems(path, repo_root="."):
    """List what keeps `path` from being a committed lesson notebook (empty = fine)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
            found.append(f"{cell.get('id')}: has outputs or an execution count")
    if dump(canonical(nb)) != text:
        found.append("not canonical JSON: run `tl-course format` on it")
    relative = path.resolve().relative_to(Path(repo_root).resolve())
    first = "".join(nb["cells"][0]["source"]) if nb["cells"] else ""
    expected = [colab_url(learner_path(lesson_path(relative))), colab_url(lesson_path(relative))]
    badges = _BADGE.findall(first)
    if badges != expected or badge_line(relative) not in first.splitlines():
        found.append(f"Colab badge: expected the line {badge_line(relative)!r}, received the Colab links {badges}")
    return found
