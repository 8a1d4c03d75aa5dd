"""Run every lesson notebook through nbval (`--nbval-lax`) in quick mode.

Each notebook runs in its own pytest process, so one failing lesson reports
its own cells and the others still run. The notebooks' asserts are the claims
of the lessons: a claim that stops holding fails here.

`TL_COURSE_DRAW_SEED=N` (what `make test-draws` sets) runs every lesson on
another draw of photos: a cell `SEED = N` is injected after the lesson's
`parameters` cell, as papermill does, in a copy of the notebook.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tl_course.core.manifest import LESSONS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / lesson.notebook for lesson in LESSONS]


def with_parameters(notebook, target, **values):
    """Write a copy of `notebook` to `target` with a cell setting `values` right after its `parameters` cell."""
    nb = json.loads(Path(notebook).read_text())
    tagged = [i for i, cell in enumerate(nb["cells"]) if "parameters" in cell["metadata"].get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"Expected one cell tagged 'parameters' in {notebook}; received {len(tagged)}.")
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    nb["cells"].insert(tagged[0] + 1, {"cell_type": "code", "execution_count": None, "id": "injected-parameters",
                                       "metadata": {"tags": ["injected-parameters"]}, "outputs": [], "source": source})
    Path(target).write_text(json.dumps(nb, indent=1))
    return Path(target)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(notebook, tmp_path):
    env = dict(os.environ, TL_COURSE_QUICK="1", MPLBACKEND="Agg")
    seed = os.environ.get("TL_COURSE_DRAW_SEED")
    if seed:
        notebook = with_parameters(notebook, tmp_path / notebook.name, SEED=int(seed))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--nbval-cell-timeout=600", str(notebook)],
        cwd=ROOT / "notebooks", env=env, capture_output=True, text=True,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"{notebook.name} failed under nbval (draw seed {seed or 'default'}):\n{tail}"


def test_injected_parameters_follow_the_parameters_cell(tmp_path):
    copy = with_parameters(NOTEBOOKS[1], tmp_path / "copy.ipynb", SEED=7)
    cells = json.loads(copy.read_text())["cells"]
    at = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    assert "".join(cells[at + 1]["source"]) == "SEED = 7" and "SEED = " in "".join(cells[at]["source"])
