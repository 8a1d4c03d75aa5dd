"""Flag hand-ins that tamper with what the checks rely on, for the instructor to review.

Part of the grading pipeline (`tl_course.instructor.grading`, `tl-course grade`; see INSTRUCTORS.md,
"The review column"). A check such as `assert np.allclose(scale_pixels(x), [-1, 0, 1])` passes
whatever `scale_pixels` returns once an answer cell has run `np.allclose = lambda *a, **k: True`,
or when the answer returns an object whose `__eq__` always says yes. nbgrader restores the check
cells but runs the student's answer cells as they are, so the grader reads those cells (with
`ast`, never running them) and flags, for a human to read (a flag, not a zero: some uses are honest):

- **an imported name changed**: assigning, augmented-assigning or deleting an attribute or item
  whose base name is bound by an `import` anywhere in the notebook (`np.allclose = ...`,
  `numpy.testing.assert_allclose = ...`, `del np.allclose`, `os.environ["X"] = ...`), or whose
  base is a reflective call (`__import__(...)`, `globals()`, `vars(...)`, `getattr(...)`,
  `importlib.import_module(...)`); `setattr`/`delattr`/`__setattr__`/`__delattr__` on anything
  but a plain name that is not imported (`setattr(np, "allclose", f)`; `setattr(self, k, v)` is fine);
- **a name rebound**: an imported name or a builtin (`np = ...`, `len = ...`, `def isinstance`)
  bound at the top level of a cell or through `global`; inside a function they are locals, not flagged;
- **the interpreter's tables**: `import builtins`, `import ctypes`, any use of `__builtins__`
  or of `sys.modules`;
- **comparisons overridden**: a class whose body defines `__eq__`, `__ne__`, `__hash__`, the
  ordering methods, `__bool__`, `__class__`, `__instancecheck__`, `__subclasscheck__`,
  `__array_function__` or `__array_ufunc__`, and any string literal naming one of them
  (`type("S", (str,), {"__eq__": ...})`, `setattr(cls, "__eq__", ...)`);
- **code the scan cannot read**: calls to `exec`, `eval`, `compile`, `__import__`, IPython magics
  and shell commands (`%run`, `!python`); and a cell that does not parse.

Everything else is not flagged: local variables, functions, ordinary classes, and attributes of
objects the student made (`layer.trainable = False`, `self.x = x`). The cells read are the answer
cells (nbgrader `solution` cells) and, given the student version, the code cells the student added
or edited (nbgrader runs those too); the lesson's own unchanged cells and the locked checks are not.
"""

import ast
import builtins
import json
from dataclasses import dataclass, replace
from pathlib import Path

from tl_course.instructor.gradebook import exercise_of, natural_key

__all__ = ["Flag", "review", "scan_notebook", "scan_source"]

_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) | {"__import__", "__build_class__"}
_OVERRIDES = frozenset({"__eq__", "__ne__", "__hash__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__class__",
                        "__instancecheck__", "__subclasscheck__", "__array_function__", "__array_ufunc__"})
_HIDDEN = {"exec", "eval", "compile", "__import__"}
_REFLECTIVE = {"__import__", "globals", "vars", "getattr", "import_module"}
_TABLES = {"builtins", "ctypes"}
_SETTERS = {"setattr", "delattr", "__setattr__", "__delattr__"}


@dataclass(frozen=True)
class Flag:
    """One finding: the cell (its grade_id, or `cell N` for a cell with none), the line in it, what was found."""

    cell: str
    line: int
    what: str

    def __str__(self):
        return f"{self.cell} line {self.line}: {self.what}"


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError as error:
        try:  # IPython syntax (`%time`, `!ls`) becomes `get_ipython()` calls, on the same lines
            from IPython.core.inputtransformer2 import TransformerManager
        except ImportError:
            raise error from None
        try:
            return ast.parse(TransformerManager().transform_cell(source))
        except SyntaxError:
            raise error from None


def _imports(tree):
    """Return {name: module} for every name an import in `tree` binds (`import numpy as np` -> np: numpy)."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            bound.update({a.asname or a.name: f"{base}.{a.name}" for a in node.names if a.name != "*"})
    return bound


def _root(node):
    """The innermost expression of an attribute/item chain: `np` for `np.testing.x[0]`."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def _text(node):
    return " ".join(ast.unparse(node).split())[:60]


class _Scanner(ast.NodeVisitor):
    def __init__(self, imported, declared_global):
        self.imported, self.declared_global = imported, declared_global
        self.depth, self.found = 0, []

    def _flag(self, node, what):
        self.found.append((node.lineno, what))

    def _tampered(self, node):
        """What makes the chain `node` someone else's object, or None when it is the cell's own."""
        root = _root(node)
        if isinstance(root, ast.Name):
            if root.id in self.imported:
                return f"imported {self.imported[root.id]}"
            return "the builtins" if root.id == "__builtins__" else None
        if isinstance(root, ast.Call):
            func = root.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            return f"reached through {name}()" if name in _REFLECTIVE else None
        return None

    def _rebinds(self, node, name):
        if (self.depth == 0 or name in self.declared_global) and (name in self.imported or name in _BUILTINS):
            kind = f"the imported {self.imported[name]}" if name in self.imported else "a builtin"
            self._flag(node, f"rebinds {name}, {kind}")

    def _scope(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node):
        self._rebinds(node, node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.depth += 1
        for child in [node.args, *node.body]:
            self.visit(child)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scope

    def visit_ClassDef(self, node):
        self._rebinds(node, node.name)
        for stmt in node.body:
            names = ([stmt.name] if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                     else [t.id for t in getattr(stmt, "targets", [getattr(stmt, "target", None)]) if isinstance(t, ast.Name)])
            for name in sorted(set(names) & _OVERRIDES):
                self._flag(stmt, f"class {node.name} overrides {name}")
        self._scope(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._rebinds(node, node.id)
        if node.id == "__builtins__":
            self._flag(node, "uses __builtins__")

    def _store(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            owner = self._tampered(node)
            if owner:
                verb = "deletes" if isinstance(node.ctx, ast.Del) else "assigns"
                self._flag(node, f"{verb} {_text(node)} ({owner})")
        if (isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name)
                and self.imported.get(node.value.id) == "sys"):
            self._flag(node, "uses sys.modules")
        self.generic_visit(node)

    visit_Attribute = visit_Subscript = _store

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) and func.id not in self.imported else None
        if isinstance(func, ast.Attribute) and func.attr in _SETTERS:
            # `np.__setattr__(...)` changes np; `object.__setattr__(np, ...)` changes its first argument
            target = node.args[0] if node.args and isinstance(func.value, ast.Name) and func.value.id in ("object", "type") \
                else func.value
            name = func.attr
        elif name in _SETTERS:
            target = node.args[0] if node.args else None
        if name in _SETTERS:
            root = _root(target) if target is not None else None
            if not isinstance(root, ast.Name) or self._tampered(target):
                self._flag(node, f"calls {name} on {_text(target) if target is not None else 'nothing'}")
        elif name in _HIDDEN:
            self._flag(node, f"calls {name}(), whose code this scan cannot read")
        elif name == "get_ipython":
            self._flag(node, "runs an IPython magic or shell command, which this scan cannot read")
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in _TABLES:
                self._flag(node, f"imports {alias.name}")

    def visit_ImportFrom(self, node):
        if (node.module or "").split(".")[0] in _TABLES or (node.module == "sys" and any(a.name == "modules" for a in node.names)):
            self._flag(node, f"imports from {node.module}")

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value in _OVERRIDES:
            self._flag(node, f"names {node.value!r}")


def scan_source(source, cell="cell", imported=None):
    """Return the `Flag`s of one cell's source; `imported` maps the notebook's imported names to modules.

    The cell's own imports count too. A cell that does not parse gives one flag saying so.
    """
    try:
        tree = _parse(source)
    except SyntaxError as error:
        return [Flag(cell, error.lineno or 1, f"does not parse ({error.msg})")]
    declared = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    scanner = _Scanner({**(imported or {}), **_imports(tree)}, declared)
    scanner.visit(tree)
    return [Flag(cell, line, what) for line, what in sorted(dict.fromkeys(scanner.found))]


def _source(cell):
    return "".join(cell.get("source", ""))


def scan_notebook(notebook, released=None):
    """Return the `Flag`s of a submitted notebook dict, in cell order.

    Reads the answer cells (nbgrader `solution` cells, named by their grade_id) and, when the
    student version `released` is given, the other unlocked code cells whose source is not in it
    (cells the student added or edited, named `cell N`). Names imported by any code cell count.
    """
    code = [(i, c) for i, c in enumerate(notebook.get("cells", [])) if c.get("cell_type") == "code"]
    imported = {}
    for _, cell in code:
        try:
            imported.update(_imports(_parse(_source(cell))))
        except SyntaxError:
            pass
    lesson_cells = {_source(c) for c in (released or {}).get("cells", [])}
    flags = []
    for index, cell in code:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            flags += scan_source(_source(cell), meta.get("grade_id") or f"cell {index}", imported)
        elif released is not None and not (meta.get("grade") or meta.get("locked")) and _source(cell) not in lesson_cells:
            flags += scan_source(_source(cell), f"cell {index}", imported)
    return flags


def review(scores, course_dir):
    """Return `scores` with their `review` filled in from the submitted notebooks in `course_dir`.

    A flag goes on the row of the exercise its cell belongs to (`ex3_solution` -> `ex3`); one in a
    cell of no exercise (a cell the student added) goes on the student's first exercise of that lesson.
    """
    course_dir = Path(course_dir)
    notebooks = {}
    for s in scores:
        notebooks.setdefault((s.student, s.lesson), set()).add(s.exercise)
    texts = {}
    for (student, lesson), exercises in notebooks.items():
        submitted = course_dir / "submitted" / student / lesson / f"{lesson}.ipynb"
        released = course_dir / "release" / lesson / f"{lesson}.ipynb"
        if not submitted.exists():
            continue
        flags = scan_notebook(json.loads(submitted.read_text(encoding="utf-8")),
                              json.loads(released.read_text(encoding="utf-8")) if released.exists() else None)
        first = min(exercises, key=natural_key)
        for flag in flags:
            exercise = exercise_of(flag.cell) if exercise_of(flag.cell) in exercises else first
            texts.setdefault((student, lesson, exercise), []).append(str(flag))
    return [replace(s, review="; ".join(texts.get((s.student, s.lesson, s.exercise), []))) for s in scores]
