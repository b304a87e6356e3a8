"""`lth verify`: check every file of a results folder and say what re-creates the damaged ones.

A file damaged inside a finished run (a truncated copy, a bit flip, a job killed between writing
a file and its sidecar) is invisible to Snakemake: its timestamps are fine, so `--summary` shows
it as ok and `snakemake` has nothing to do, while every job that reads it fails. This walks a
results folder and checks each file as its readers would:

- tensor files with a sidecar: the sidecar is a JSON object and the file has the SHA-256 it
  records; checkpoints are then loaded with every check of `lth.checkpoint.load`;
- prepared datasets (``results/data/*.safetensors``, no sidecar): `lth.data.read_prepared`;
- a sidecar whose tensor file is gone; every other JSON file: a JSON object;
- CSV tables: a header and rows of its width.

Figures and HTML tables are not checked (re-created from the tables). Config files given instead
of a folder are read strictly (`lth.configfile`). Each damaged file is re-created by the job that
wrote it: ``snakemake --force FILE`` reruns exactly that job.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TextIO

from safetensors import safe_open

from lth import checkpoint, configfile, data
from lth.errors import DamagedFile, LthError
from lth.io import check_hash, read_json_object, sidecar


def verify(paths: list[str | os.PathLike], out: TextIO) -> None:
    """Write one line per damaged file (and a recovery recipe) to ``out``; raise LthError if any."""
    damaged: list[Path] = []
    checked = 0
    for root in map(Path, paths):
        if root.is_file():
            configfile.load(root)  # a config file: its errors name file and line
            print(f"ok: config file '{root}'", file=out)
            continue
        if not root.is_dir():
            raise LthError(f"'{root}' is neither a results folder nor a config file")
        for path, problem in check_tree(root):
            checked += 1
            if problem:
                print(f"DAMAGED {path}: {problem}", file=out)
                damaged.append(path)
    if not damaged:
        if checked:
            print(f"ok: {checked} files checked", file=out)
        return
    files = " ".join(str(p) for p in dict.fromkeys(damaged))
    print(
        "\nRe-create them with the jobs that wrote them, then bring what depends on them up to date:\n"
        f"  snakemake --cores 1 --force {files}\n  snakemake --cores N   (with your usual --configfile)\n"
        "(Outside a Snakemake pipeline, re-run the 'lth' step named in the file's sidecar.)",
        file=out,
    )
    raise LthError(f"{len(damaged)} of {checked} files are damaged (listed above)")


def check_tree(root: Path):
    """(file to re-create, problem or None) for each checked file under ``root``, in path order."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):  # atomic writes' temporaries, Snakemake's files
            continue
        if path.suffix == ".safetensors":
            yield path, _problem(_check_tensors, path)
        elif path.suffix == ".json" and not path.with_suffix(".safetensors").exists():
            yield _sidecar_problem(path)
        elif path.suffix == ".csv":
            yield path, _problem(_check_csv, path)


def _problem(check, path: Path) -> str | None:
    try:
        check(path)
    except DamagedFile as exc:
        return f"damaged: {exc.reason}"
    except LthError as exc:
        return str(exc)
    return None


def _check_tensors(path: Path) -> None:
    record = read_json_object(sidecar(path), "sidecar") if sidecar(path).is_file() else None
    try:
        with safe_open(str(path), framework="pt") as f:
            fmt = (f.metadata() or {}).get("format")
    except Exception as exc:  # safetensors raises several types for a corrupt file
        if record is not None:
            check_hash(path, record, "file")  # damage, named as such, when a hash was recorded
        raise LthError(f"not a safetensors file ({exc})") from None
    if fmt == checkpoint.FORMAT:
        checkpoint.load(path)
    elif record is not None:
        check_hash(path, record, "file")
    else:
        data.read_prepared(path)


def _sidecar_problem(path: Path) -> tuple[Path, str | None]:
    """A JSON file with no tensor file beside it: a sidecar left without its file (which is then
    what to re-create), or another JSON file, which must hold an object."""
    try:
        record = read_json_object(path, "JSON file")
    except LthError as exc:
        return path, str(exc)
    if "sha256" in record:
        return path.with_suffix(".safetensors"), f"missing: its sidecar '{path}' is there but the file is not"
    return path, None


def _check_csv(path: Path) -> None:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LthError(f"'{path}' cannot be read as CSV ({exc})") from None
    if not rows or not any(rows[0]):
        raise LthError(f"'{path}' is empty (no header)")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise LthError(f"'{path}' line {number} has {len(row)} fields, the header {len(rows[0])} (truncated?)")
