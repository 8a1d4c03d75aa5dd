"""The package's layers, read from the imports: core <- lessons <- instructor and cli; one module per lesson."""

import ast
import json
from pathlib import Path

import pytest

from tl_course.core.manifest import LESSONS

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 300


def _module_name(path, package_root):
    parts = path.relative_to(package_root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, package_root):
    """Yield every module name of ours that `path` imports, anywhere in the file (deferred imports too)."""
    name = _module_name(path, package_root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _layer(module):
    parts = module.split(".")
    if parts[0] != "tl_course":
        return None
    if len(parts) == 1:
        return "root"
    return parts[1] if parts[1] in ("core", "lessons", "instructor", "cli") else "other"


def violations(package_root):
    """Return one line per broken rule in the package at `package_root` (a `tl_course` folder)."""
    found = []
    for path in sorted(package_root.rglob("*.py")):
        module = _module_name(path, package_root)
        layer = _layer(module)
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            found.append(f"{module}: {lines} lines, more than {MAX_LINES} (split it by topic)")
        for imported in _imports(path, package_root):
            target = _layer(imported)
            if target is None or target == "root":
                continue
            if layer in ("core", "lessons") and target in ("instructor", "cli"):
                found.append(f"{module} imports {imported}: core and lessons never import {target}")
            elif layer == "core" and target == "lessons":
                found.append(f"{module} imports {imported}: core never imports a lesson module")
            elif layer == "lessons" and target == "lessons" and imported.count(".") >= 2 \
                    and imported.split(".")[2] != module.split(".")[2]:
                found.append(f"{module} imports {imported}: a lesson module never imports another one")
            elif target == "other":
                found.append(f"{module} imports {imported}: every module lives in core, lessons or instructor")
    return found


def test_the_package_keeps_its_layers_and_module_size():
    assert violations(ROOT / "tl_course") == []


@pytest.mark.parametrize("planted, expected", [
    ("core/settings.py", "core and lessons never import instructor"),
    ("lessons/multi_task.py", "core and lessons never import instructor"),
])
def test_a_planted_import_of_instructor_is_caught(tmp_path, planted, expected):
    copy = _copy_package(tmp_path)
    with open(copy / planted, "a") as f:
        f.write("\n\ndef _grade():\n    from tl_course.instructor import grading\n\n    return grading\n")
    assert any(expected in line for line in violations(copy))


def test_planted_lesson_to_lesson_core_to_lesson_and_long_module_are_caught(tmp_path):
    copy = _copy_package(tmp_path)
    with open(copy / "lessons" / "fine_tuning.py", "a") as f:
        f.write("\nfrom tl_course.lessons import feature_extraction  # noqa\n")
    with open(copy / "core" / "plots.py", "a") as f:
        f.write("\nfrom ..lessons.semi_supervised import pseudo_label_rounds  # noqa\n")
    (copy / "core" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    found = "\n".join(violations(copy))
    assert "a lesson module never imports another one" in found
    assert "core never imports a lesson module" in found
    assert f"more than {MAX_LINES}" in found


def _copy_package(tmp_path):
    import shutil

    target = tmp_path / "tl_course"
    shutil.copytree(ROOT / "tl_course", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_every_lesson_has_its_module_named_after_it_and_imports_it():
    lesson_modules = sorted(p.stem for p in (ROOT / "tl_course" / "lessons").glob("*.py") if p.stem != "__init__")
    assert lesson_modules == sorted(lesson.topic for lesson in LESSONS), "one module per lesson, same name"
    for lesson in LESSONS:
        doc = ast.get_docstring(ast.parse((ROOT / "tl_course" / "lessons" / f"{lesson.topic}.py").read_text()))
        assert doc.startswith(f"Taught in {lesson.name}"), f"{lesson.module}'s docstring must open 'Taught in {lesson.name}'"
        cells = json.loads((ROOT / lesson.notebook).read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert f"from tl_course.lessons import {lesson.topic}" in code, f"{lesson.name} does not import {lesson.module}"


def test_notebooks_and_tests_use_the_layered_import_paths():
    """No lesson, test or notebook reaches a module outside core, lessons and instructor."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        layers = {_layer(m) for m in _imports(path, ROOT / "tests")}
        assert "other" not in layers, f"{path.relative_to(ROOT)} imports a module outside the layers"


def test_no_module_takes_a_name_learners_use_for_variables():
    taken = {"data", "models", "features", "model", "history", "sequential"}
    names = {p.stem for p in (ROOT / "tl_course").rglob("*.py")}
    assert not names & taken, f"rename {sorted(names & taken)}: a learner would shadow it by accident"
