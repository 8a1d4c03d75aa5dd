"""pyproject.toml and environment.yml agree; the two README commands and CI are wired."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_declares_the_same_pinned_dependencies():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = re.findall(r"^\s+- ([A-Za-z0-9_.\-]+==[^\s#]+)", (ROOT / "environment.yml").read_text(), re.M)
    assert sorted(env) == sorted(deps)
    assert all("==" in d for d in deps)
    assert "tensorflow==2.21.0" in deps and any(d.startswith("keras==3.") for d in deps)


def test_learners_install_no_instructor_or_test_tools():
    """`pip install tl-course` (and `make lab`) brings the lessons' needs; nbgrader and the test tools are extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = lambda pins: {re.split(r"[=<>\[ ]", pin)[0].lower() for pin in pins}
    extras = project["optional-dependencies"]
    assert names(extras["instructor"]) == {"nbgrader"}
    assert {"pytest", "nbval"} <= names(extras["dev"])
    assert not names(project["dependencies"]) & (names(extras["instructor"]) | names(extras["dev"]))
    assert all("==" in pin for pins in extras.values() for pin in pins)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\t\$\(VENV\)/bin/python -m pip install --quiet -e \.$", makefile, re.M), "make lab: no extras"
    assert '-e ".[instructor,dev]"' in makefile and "$(DEV_VENV)/bin/python -m pytest tests" in makefile


def test_readme_commands_and_ci():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "make test"
    makefile = (ROOT / "Makefile").read_text()
    assert "jupyter lab notebooks/00_setup.ipynb" in makefile and "pytest tests" in makefile


def test_every_lesson_of_the_manifest_is_in_the_readme():
    from tl_course.core.manifest import LESSONS

    readme = (ROOT / "README.md").read_text()
    for lesson in LESSONS:
        assert f"]({lesson.notebook})" in readme, f"{lesson.name} missing from the README lesson table"


def test_readme_has_no_unfilled_placeholder():
    readme = (ROOT / "README.md").read_text()
    placeholders = re.findall(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$", readme, re.M)
    assert placeholders == [], f"README placeholders never filled with measured figures: {placeholders}"
