"""Notebooks are committed without outputs, in canonical JSON, with a correct Colab badge."""

import json
from pathlib import Path

import pytest

from tl_course.core.manifest import LESSONS
from tl_course.instructor import notebook_format

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [ROOT / lesson.notebook for lesson in LESSONS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_form(notebook):
    assert notebook_format.problems(notebook, ROOT) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lesson_layout(notebook):
    nb = json.loads(notebook.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"].startswith("# "), "starts with one H1 title"
    titles = [c for c in cells if c["cell_type"] == "markdown" and c["source"].startswith("# ")]
    assert len(titles) == 1, "exactly one H1"
    parameters = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(parameters) == 1 and "QUICK = settings.quick_mode()" in parameters[0]["source"]
    code = "\n".join(c["source"] for c in cells if c["cell_type"] == "code")
    assert code.count("keras.utils.set_random_seed(") == 1
    assert "pip install" not in code.replace('"pip", "install"', "")  # only the Colab cell installs
    solutions = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")]
    checks = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(solutions) >= 2 and len(checks) >= 2, "at least two exercises with checks"
    assert all("### BEGIN SOLUTION" in c["source"] for c in solutions)
    assert any("### BEGIN HIDDEN TESTS" in c["source"] for c in checks)
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids)), "nbgrader grade_ids are unique"
    lines = code.splitlines()
    first_tensorflow = next(i for i, line in enumerate(lines) if line.startswith(("import keras", "import tensorflow", "from keras")))
    assert any(line.startswith("from tl_course.core import quiet") for line in lines[:first_tensorflow]), (
        "import tl_course.core.quiet before keras and tensorflow: a learner sees no red start-up notices")


def test_format_detects_outputs_and_wrong_badge(tmp_path):
    nb = json.loads(NOTEBOOKS[0].read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb["cells"][1]["execution_count"] = 3
    target = tmp_path / "notebooks" / "99_x.ipynb"
    target.parent.mkdir()
    target.write_text(json.dumps(nb))
    found = notebook_format.problems(target, tmp_path)
    assert any("outputs" in p for p in found)
    assert any("canonical" in p for p in found)
    assert any("Colab badge" in p for p in found)
    assert notebook_format.format_notebook(target)
    assert [p for p in notebook_format.problems(target, tmp_path) if "badge" not in p] == []


def _tl_course_modules(code):
    """The `tl_course` modules a notebook's code imports, as imported module objects."""
    import ast
    import importlib

    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tl_course":
            for alias in node.names:
                try:
                    found.append(importlib.import_module(f"{node.module}.{alias.name}"))
                except ImportError:  # a name inside a module, not a module
                    found.append(importlib.import_module(node.module))
        elif isinstance(node, ast.Import):
            found += [importlib.import_module(a.name) for a in node.names if a.name.split(".")[0] == "tl_course"]
    return found


def _names_asked_for(cells):
    """Names an exercise asks the learner to write: top-level defs, classes and assignments of its solution cells."""
    import ast

    names = set()
    for cell in cells:
        if not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        for node in ast.parse(cell["source"]).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def handed_over(nb):
    """Return `[(name, module)]` for every name an exercise asks for that an imported course module already has."""
    code = "\n".join(line for c in nb["cells"] if c["cell_type"] == "code"
                     for line in c["source"].splitlines() if not line.lstrip().startswith(("%", "!")))
    modules = _tl_course_modules(code)
    return sorted((name, m.__name__) for name in _names_asked_for(nb["cells"]) for m in modules if hasattr(m, name))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_exercise_asks_for_what_the_package_hands_over(notebook):
    assert handed_over(json.loads(notebook.read_text())) == []


def test_the_handed_over_check_catches_a_planted_answer():
    nb = json.loads(NOTEBOOKS[0].read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": "exx"}},
                        "source": "def scan_image_folder(root):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"})
    assert ("scan_image_folder", "tl_course.core.images") in handed_over(nb)
