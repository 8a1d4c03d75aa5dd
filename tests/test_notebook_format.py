"""Notebooks are committed without outputs, in canonical JSON, with a correct Colab badge."""

import json
from pathlib import Path

import pytest

from tl_course import notebook_format
from tl_course.core.manifest import LESSONS

ROOT = Path(__file__).resolve().parents[1]
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
