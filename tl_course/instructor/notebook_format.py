"""Keep lesson notebooks in canonical form: no outputs, sorted keys, stable ids.

`tl-course format notebooks/*.ipynb` rewrites notebooks in place (run it
before committing); `problems(path)` lists what is wrong, for the tests.
"""

import json
import re
from pathlib import Path

__all__ = ["COLAB_PREFIX", "canonical", "colab_url", "format_notebook", "problems"]

COLAB_PREFIX = "https://colab.research.google.com/github/tl-course/tl-course/blob/main/"
_BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"]+\.ipynb")


def colab_url(path):
    """Return the Colab URL for a notebook path relative to the repository root."""
    return COLAB_PREFIX + Path(path).as_posix()


def canonical(nb):
    """Return a notebook dict without outputs and with cell ids `cell-NN`."""
    nb = json.loads(json.dumps(nb))
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:02d}"
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.setdefault("metadata", {})
        cell["metadata"].pop("execution", None)
        cell["metadata"].pop("collapsed", None)
        cell["metadata"].pop("scrolled", None)
    return nb


def _dump(nb):
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def format_notebook(path):
    """Rewrite `path` in canonical form; return True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = _dump(canonical(json.loads(text)))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def problems(path, repo_root="."):
    """List what keeps `path` from being a committed lesson notebook (empty = fine)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
            found.append(f"{cell.get('id')}: has outputs or an execution count")
    if _dump(canonical(nb)) != text:
        found.append("not canonical JSON: run `tl-course format` on it")
    relative = path.resolve().relative_to(Path(repo_root).resolve())
    badges = _BADGE.findall(nb["cells"][0]["source"] if nb["cells"] else "")
    if badges != [colab_url(relative)]:
        found.append(f"Colab badge: expected {colab_url(relative)}, received {badges}")
    return found
