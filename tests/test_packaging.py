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
    assert "jupyter lab notebooks/learner/00_setup.ipynb" in makefile and "pytest tests" in makefile


def test_ci_runs_the_browser_test_with_the_systems_chromium():
    """tests/test_browser.py: Playwright is a pinned dev tool; CI installs Chromium with apt, then requires the test."""
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert any(re.fullmatch(r"playwright==[\d.]+", pin) for pin in dev), dev
    ci = (ROOT / ".ci" / "run").read_text()
    install = ci.find("apt-get install -y -qq --no-install-recommends chromium")
    assert 0 < ci.find("apt-get update") < install < ci.find("TL_COURSE_BROWSER_TEST=required") < ci.rfind("make test")
    assert "playwright install" not in ci + (ROOT / "Makefile").read_text(), "Playwright's browser download is never used"


def test_every_lesson_of_the_manifest_is_in_the_readme():
    from tl_course.core.manifest import LESSONS

    readme = (ROOT / "README.md").read_text()
    for lesson in LESSONS:
        assert f"]({lesson.notebook})" in readme, f"{lesson.name} missing from the README lesson table"
        learner = lesson.notebook.replace("notebooks/", "notebooks/learner/", 1)
        assert f"]({learner})" in readme, f"{lesson.name}: the README lesson table should link its learner's edition"


def test_readme_has_no_unfilled_placeholder():
    readme = (ROOT / "README.md").read_text()
    placeholders = re.findall(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$", readme, re.M)
    assert placeholders == [], f"README placeholders never filled with measured figures: {placeholders}"


def test_colab_installs_the_released_version_of_pyproject():
    """Each lesson's Colab cell installs the course at the tag of pyproject's version, on Colab only."""
    import json

    import tl_course
    from tl_course.core.manifest import LESSONS

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert tl_course.__version__ == version
    for lesson in LESSONS:
        cells = json.loads((ROOT / lesson.notebook).read_text())["cells"]
        install = next(c for c in cells if c["cell_type"] == "code")["source"]
        assert 'if "google.colab" in sys.modules:' in install and '"--no-deps"' in install, lesson.name
        assert re.findall(r"git\+https://github\.com/tl-course/tl-course@?[^\s\"]*", install) == \
            [f"git+https://github.com/tl-course/tl-course@v{version}"], f"{lesson.name}: pin the install to v{version}"


def test_ci_points_tf_hub_at_a_writable_cache_linking_the_offline_modules():
    """tensorflow_hub writes lock and temporary files into its cache on a miss: CI links the modules into a fresh folder."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'export TFHUB_CACHE_DIR="$(mktemp -d)"' in ci
    assert re.search(r'for module in "\$assets"/tfhub_modules/\*; do .*ln -s "\$module" "\$TFHUB_CACHE_DIR/"', ci)
    assert ci.find("TFHUB_CACHE_DIR") < ci.rfind("make test")


def test_the_registries_are_installed_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    installed = pyproject["tool"]["setuptools"]["package-data"]["tl_course._registry"]
    assert sorted(installed) == sorted(p.name for p in (ROOT / "data").glob("*.json"))
