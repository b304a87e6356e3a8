"""Strict reading of config files: a duplicate key or a syntax error names the file and line.

YAML keeps the last of two equal keys without a word (so does JSON), and Snakemake's message for a
file that does not parse names neither the file nor the line. The workflow re-reads the config
files Snakemake was given with `check_files` (workflow/rules/common.smk), and `lth verify FILE`
checks one by hand. Torch-free: every Snakemake process imports it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lth.errors import LthError


def load(path: str | os.PathLike) -> Any:
    """The content of a JSON or YAML config file (JSON first, as Snakemake reads them), strictly."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LthError(f"config file '{path}' cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return json.loads(text, object_pairs_hook=lambda pairs: _json_object(pairs, path))
    except json.JSONDecodeError:
        pass  # not JSON: YAML below
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        for key, line, first in _duplicates(root, ()):
            raise LthError(f"config file '{path}', line {line}: duplicate key '{key}' (first given at line {first})")
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise LthError(
            f"config file '{path}', line {mark.line + 1}, column {mark.column + 1}: not valid YAML "
            f"({exc.problem or exc.context})"
        ) from None
    except yaml.YAMLError as exc:
        raise LthError(f"config file '{path}': not valid YAML ({str(exc).splitlines()[0]})") from None


def check_files(paths) -> None:
    """`load` each file of ``paths`` that exists, for its errors only."""
    for path in paths:
        if Path(path).is_file():
            load(path)


def _json_object(pairs: list[tuple[str, Any]], path: Path) -> dict:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise LthError(f"config file '{path}': duplicate key '{key}'")
    return dict(pairs)


def _duplicates(node, where: tuple[str, ...], seen_nodes: set[int] | None = None) -> Iterator[tuple[str, int, int]]:
    """(dotted key, line, line of its first occurrence) for each repeated key in a composed YAML tree."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if node is None or id(node) in seen_nodes:  # an alias repeats a node already walked
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                if key in first:
                    yield ".".join((*where, key)), key_node.start_mark.line + 1, first[key]
                first.setdefault(key, key_node.start_mark.line + 1)
            yield from _duplicates(value_node, (*where, str(key)), seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, (*where, str(index)), seen_nodes)
