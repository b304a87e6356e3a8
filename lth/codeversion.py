"""Code versions of the `lth` subcommands, from the import graph.

A rule's outputs depend on the code its subcommand runs: the subcommand's module
(``lth.cli.<name>``) and every `lth` module that one imports, directly or through others, at any
depth, also inside functions, plus the packages those modules sit in (Python runs a package's
``__init__`` before its modules). `version` hashes exactly those files, so editing any of them
changes the version, which each rule holds as a param: Snakemake, which does not track imported
modules itself, then re-runs the rule and everything after it (its default re-run triggers
include params). Adding a module to the science needs no list to be updated.

The graph is read with `ast`, never by importing: the workflow computes the versions while it
parses, and importing the science would import torch into every Snakemake process. The one file
left out is the dispatcher, ``lth/cli/__init__.py``: it imports no subcommand module by name and
only chooses one, so adding a subcommand changes no other rule's version.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from lth.cli import module_name

PACKAGE = Path(__file__).resolve().parent  # the lth/ folder
DISPATCHER = "lth.cli"


def _file(module: str, root: Path) -> Path | None:
    """The source file of an `lth` module under ``root`` (a package's ``__init__.py``), None if there is none."""
    base = root.joinpath(*module.split(".")[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _with_packages(module: str) -> list[str]:
    """``module`` and the packages above it, the top package included: 'lth.a.b' -> lth, lth.a, lth.a.b."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@functools.cache
def _imports(path: Path, module: str, stamp: tuple[int, int]) -> frozenset[str]:
    """The `lth` modules a file imports anywhere in it (``from lth import x`` may name a module x).
    Cached by the file's ``stamp`` (modification time and size): the workflow asks for every rule."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(name for name in found if name == "lth" or name.startswith("lth."))


def modules(command: str, root: Path = PACKAGE) -> dict[str, Path]:
    """Every `lth` module subcommand ``command`` runs, with its file: the import closure of its module."""
    start = module_name(command)
    if _file(start, root) is None:
        raise ValueError(f"no module {start} for subcommand '{command}' under {root}")
    found: dict[str, Path] = {}
    todo = [start]
    while todo:
        for name in _with_packages(todo.pop()):
            path = _file(name, root)
            if name in found or name == DISPATCHER or path is None:
                continue  # seen, the dispatcher, or a name imported from a module (not a module itself)
            found[name] = path
            stat = path.stat()
            todo.extend(_imports(path, name, (stat.st_mtime_ns, stat.st_size)))
    return found


def version(command: str, root: Path = PACKAGE) -> str:
    """Hash of the files `modules` finds (their paths and contents): the rules' ``code`` param."""
    digest = hashlib.sha256()
    for path in sorted(modules(command, root).values()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
