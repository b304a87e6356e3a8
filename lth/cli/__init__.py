"""The `lth` command line: one subcommand per pipeline step, explicit input and output paths.

Each subcommand is one module of this package (``lth cli-name`` is ``lth/cli/cli_name.py``) with its help
line (``HELP``), its arguments (``arguments(parser)``, with the shared groups of `lth.cli.common`)
and ``run(args)``, which parses what it is given, calls the library and saves the result, so a
Snakemake rule can call it with its inputs, outputs and params. The science lives in the library:
a rule's code version hashes its subcommand's module and every `lth` module that one imports
(`lth.codeversion`). Bad input ends in one line naming the culprit and exit status 2.

This dispatcher imports the subcommand modules by name only (`importlib`), so it is in no
subcommand's import graph and adding a subcommand changes no other rule's code version.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from lth.errors import LthError, report

# In the order `lth --help` lists them.
SUBCOMMANDS = (
    "data",
    "init",
    "train",
    "prune",
    "rewind",
    "control",
    "summarize",
    "imp-rewinding",
    "plot",
    "interpolate",
    "instability",
    "structure",
    "plot-analyses",
    "anatomy",
    "plot-anatomy",
    "sweep",
    "plot-sweep",
    "evaluate",
    "verify",
    # the studies (lth/studies/)
    "weight-study",
    "ticket",
    "ticket-summary",
    "plot-ticket",
    "xor-dense",
    "xor-prune",
    "xor-tables",
    "xor-sensitivity",
)


def module_name(command: str) -> str:
    """The module of ``lth.cli`` that implements subcommand ``command``."""
    return f"lth.cli.{command.replace('-', '_')}"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other bad input (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lth", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        module = importlib.import_module(module_name(command))
        p = sub.add_parser(command, help=module.HELP, description=module.HELP)
        module.arguments(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except LthError as exc:
        report(f"lth {args.command}: error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
