"""Regenerate the tables and inline numbers of the docs from their committed CSVs.

Each results page ``docs/results/<page>/README.md`` marks what is generated::

    <!-- table: NAME -->
    ...
    <!-- end table -->

and inline numbers ``<!-- value: NAME -->97.6<!-- end value -->``. The page folder's ``tables.py``
maps names to functions of the page folder: ``TABLES = {"NAME": fn}``, ``VALUES = {"NAME": fn}``.
Other markdown files (the top-level README, ``docs/*.md``) name a page's value as ``page/NAME``.

    python docs/build_tables.py           # rewrite every generated block in place
    python docs/build_tables.py --check   # exit 1 naming each stale block (run by the tests)

So a sentence or table in the docs cannot drift from the data it reports: change the CSV, re-run.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
RESULTS = DOCS / "results"
BLOCK = re.compile(r"(<!-- (table|value): ([\w./-]+) -->)(.*?)(<!-- end \2 -->)", re.S)


def load_page(folder: Path) -> dict[str, dict]:
    """The ``TABLES`` and ``VALUES`` of a page folder's ``tables.py`` (empty when it has none)."""
    path = folder / "tables.py"
    if not path.exists():
        return {"table": {}, "value": {}}
    sys.path.insert(0, str(DOCS))  # page modules import mdtable
    try:
        spec = importlib.util.spec_from_file_location(f"docs_tables_{folder.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(DOCS))
    return {"table": getattr(module, "TABLES", {}), "value": getattr(module, "VALUES", {})}


def render(md: Path, pages: dict[Path, dict]) -> str:
    """The text of ``md`` with every generated block recomputed; unknown names are errors."""
    text = md.read_text()
    home = md.parent if md.parent.parent == RESULTS else None

    def replace(match: re.Match) -> str:
        open_tag, kind, name, _, close_tag = match.groups()
        folder, key = (RESULTS / name.rsplit("/", 1)[0], name.rsplit("/", 1)[1]) if "/" in name else (home, name)
        if folder is None:
            raise SystemExit(f"{md.relative_to(REPO)}: {kind} '{name}' must name its page as 'page/{name}'")
        page = pages.setdefault(folder, load_page(folder))
        if key not in page[kind]:
            raise SystemExit(f"{md.relative_to(REPO)}: no {kind} '{key}' in {(folder / 'tables.py').relative_to(REPO)}")
        body = page[kind][key](folder).strip()
        return f"{open_tag}\n{body}\n{close_tag}" if kind == "table" else f"{open_tag}{body}{close_tag}"

    return BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale blocks; exit 1 if any")
    args = parser.parse_args(argv)
    pages: dict[Path, dict] = {}
    stale = []
    for md in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]:
        text = md.read_text()
        if not BLOCK.search(text):
            continue
        new = render(md, pages)
        if new != text:
            stale.append(md.relative_to(REPO))
            if not args.check:
                md.write_text(new)
    verb = "stale" if args.check else "rewrote"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
