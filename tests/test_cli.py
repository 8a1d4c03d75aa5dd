"""The `tl-course` command: installed, dispatching."""

import json
import subprocess
import sys

from tl_course import cli


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "tl_course.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "doctor" in out.stdout and "bench" in out.stdout


def test_format_strips_outputs(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}], "execution_count": 4}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert cli.main(["format", str(path)]) == 0
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None and cell["id"] == "cell-00"


def test_instructor_commands_without_nbgrader_say_how_to_install_it(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "nbgrader", None)  # what a learner's install looks like
    monkeypatch.setitem(sys.modules, "nbgrader.apps", None)
    assert cli.main(["release", "00", "--course", str(tmp_path / "course")]) == 2
    assert 'pip install -e \".[instructor]\"' in capsys.readouterr().err
