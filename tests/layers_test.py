"""The folders are the layers: every import runs downward, and the README names every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "tagguard"
# From the top to the ground; folders on one floor don't import each other.
FLOORS = [{"commands"}, {"client"}, {"server"}, {"output"}, {"ml"}, {"verdict"}, {"policy", "hookfiles"},
          {"rules"}, {"image", "git"}, {""}]
PUBLIC = {"provenance.py"}  # the library's stable paths, which re-export a layer's function


def floor_of(folder: str) -> int:
    return next(index for index, floor in enumerate(FLOORS) if folder in floor)


def folder_of_module(dotted: str) -> str:
    """`tagguard.git.repo` -> `git`; `tagguard.errors` (a ground module) -> ``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else ""


def imports(path: Path) -> list[str]:
    """Every tagguard module `path` imports, at run time or for type checking only."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tagguard":
            found += [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "tagguard" \
                else [node.module]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "tagguard"]
    return found


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def test_every_folder_imports_only_its_own_and_lower_floors() -> None:
    upward = []
    for path in modules():
        relative = path.relative_to(PACKAGE)
        if str(relative) in PUBLIC:
            continue
        folder = relative.parts[0] if len(relative.parts) > 1 else ""
        for target in imports(path):
            other = folder_of_module(target)
            if other != folder and floor_of(other) <= floor_of(folder):
                upward.append(f"{relative} imports {target}")
    assert upward == []


def test_the_floors_name_every_folder() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set().union(*FLOORS) - {""}


def test_the_readme_names_every_module() -> None:
    development = (ROOT / "README.md").read_text().split("## Development", 1)[1]
    missing = [str(p.relative_to(PACKAGE)) for p in modules()
               if p.name not in ("__main__.py",) and f"`{p.stem}" not in development and p.name not in development]
    assert missing == []
