"""The learner's edition of each lesson, `notebooks/learner/NN_topic.ipynb`, generated from the lesson.

A lesson in `notebooks/` is the nbgrader source: its answers sit in the exercise cells. The learner's
edition is what a learner opens (its Colab badge points at it): every answer between
`### BEGIN SOLUTION` and `### END SOLUTION` replaced by nbgrader's stub (`raise NotImplementedError()`),
every block between `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS` removed, the visible checks
kept and locked. It is made by nbgrader's own preprocessors, in the order `nbgrader generate_assignment`
runs them, without a gradebook (`SaveCells`), a header (`IncludeHeaderFooter`) or autotests
(`InstantiateTests`), then written in the lessons' canonical form (`notebook_format`): the same
lesson always gives the same bytes. `tl-course format` regenerates it; a test fails when the
committed edition differs from a fresh one.
"""

import json
from pathlib import Path

from tl_course.instructor import notebook_format
from tl_course.instructor.notebook_format import LEARNER_DIR, learner_path, lesson_path

__all__ = ["LEARNER_DIR", "generate", "learner_path", "lesson_path", "render", "write"]

_LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _preprocessors():
    from nbgrader import preprocessors as pp

    # generate_assignment's list, less IncludeHeaderFooter, InstantiateTests and SaveCells (see the docstring).
    return [pp.LockCells(), pp.ClearSolutions(), pp.ClearOutput(), pp.CheckCellMetadata(), pp.ComputeChecksums(),
            pp.ClearHiddenTests(), pp.ClearMarkScheme(), pp.ComputeChecksums(), pp.CheckCellMetadata()]


def generate(nb):
    """Return the learner's edition of a lesson notebook dict, in canonical form.

    Args:
        nb: the lesson, as read from `notebooks/NN_topic.ipynb` (not changed).

    Raises:
        ValueError: nbgrader refused a marker (unpaired, or outside an exercise cell), or a marker
            survived (`### BEGIN SOLUTION` quoted in prose, say).
    """
    import nbformat

    node = nbformat.from_dict(json.loads(json.dumps(nb)))
    resources = {}
    try:
        for preprocessor in _preprocessors():
            node, resources = preprocessor.preprocess(node, resources)
    except RuntimeError as error:  # nbgrader's word for an unpaired or misplaced marker
        raise ValueError(f"expected paired nbgrader markers in exercise cells, received a lesson nbgrader refuses: {error}") from error
    learner = notebook_format.canonical(node)
    text = json.dumps(learner)
    leaked = [marker for marker in _LEAKS if marker in text]
    if leaked:
        raise ValueError(f"expected no nbgrader markers in the learner's edition, received {leaked}: "
                         "check the `### BEGIN/END` lines of the lesson's exercise cells")
    return learner


def render(lesson):
    """Return the text of the learner's edition of the lesson at path `lesson`, as it is committed."""
    return notebook_format.dump(generate(json.loads(Path(lesson).read_text(encoding="utf-8"))))


def write(lesson):
    """Write the learner's edition of the lesson at path `lesson`; returns `(path, changed)`."""
    target = learner_path(lesson)
    text = render(lesson)
    changed = not target.exists() or target.read_text(encoding="utf-8") != text
    if changed:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return target, changed
