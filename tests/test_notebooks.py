"""Run every lesson notebook through nbval (`--nbval-lax`) in quick mode.

Each notebook runs in its own pytest process, so one failing lesson reports
its own cells and the others still run. The notebooks' asserts are the claims
of the lessons: a claim that stops holding fails here.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tl_course.core.manifest import LESSONS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / lesson.notebook for lesson in LESSONS]


def test_the_manifest_lists_every_lesson_notebook_in_order():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [lesson.name for lesson in LESSONS] == on_disk, "tl_course/core/manifest.py and notebooks/ disagree"
    assert [lesson.number for lesson in LESSONS] == [f"{i:02d}" for i in range(len(LESSONS))]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(notebook, tmp_path):
    env = dict(os.environ, TL_COURSE_QUICK="1", MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--nbval-cell-timeout=600", str(notebook)],
        cwd=ROOT / "notebooks", env=env, capture_output=True, text=True,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"{notebook.name} failed under nbval:\n{tail}"
