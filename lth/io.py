"""File I/O every step shares: atomic writes, strict reads of JSON, content hashes.

A job killed half-way through must never leave a file that looks complete: every writer in lth
writes to a temporary file in the destination folder and renames it into place (`os.replace` is
atomic on POSIX within one filesystem). A write that fails (a full disk, a read-only folder) is
an `LthError` naming the file, so it reaches the user as one line like any other bad input.

Tensor files come in pairs with a JSON sidecar (``x.safetensors`` and ``x.json``) that records
their provenance and their SHA-256 (`write_pair`); readers verify it (`check_hash`), so a file
damaged after it was written is named as damaged instead of being used or mistaken for absent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lth.errors import DamagedFile, LthError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise LthError(f"cannot write '{path}': {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def sidecar(path: str | os.PathLike) -> Path:
    """The JSON sidecar beside a tensor file: ``x.safetensors`` -> ``x.json``."""
    return Path(path).with_suffix(".json")


def write_pair(path: str | os.PathLike, blob: bytes, record: dict) -> None:
    """Write ``blob`` to ``path`` and ``record``, plus the blob's SHA-256, to its sidecar.

    Both are complete in temporary files before either is moved into place, and the sidecar is
    moved first: a tensor file never appears without its sidecar, and a job killed between the
    two moves leaves a sidecar whose hash does not match the file beside it, which `check_hash`
    (and so every reader and `lth verify`) reports as damage rather than trusting the file.
    """
    record = {**record, "sha256": hashlib.sha256(blob).hexdigest()}
    with atomic_path(path) as tmp:
        tmp.write_bytes(blob)
        write_json(sidecar(path), record)


def check_hash(path: str | os.PathLike, record: dict, what: str) -> None:
    """Raise LthError naming ``path`` as damaged unless its SHA-256 is the one its sidecar
    ``record`` holds (sidecars written before lth recorded hashes hold none: nothing to check)."""
    if "sha256" in record and sha256_file(path) != record["sha256"]:
        reason = f"its SHA-256 is not the one its sidecar recorded when 'lth {record.get('step', '?')}' wrote it"
        raise DamagedFile(
            f"{what} '{path}' is damaged: {reason}; re-create it (in the pipeline: "
            f"snakemake --cores 1 --force {path}; 'lth verify results' checks every file)",
            reason,
        )


def check_writable(*paths: str | os.PathLike | None) -> None:
    """Fail now, naming the file, if any of ``paths`` (None: not asked for) could not be written.

    Called before long work (training, interpolation) so that a typo in an output folder, a
    read-only mount or a full disk is found in a second rather than after hours. The test is a
    real one-byte write of a temporary file in the destination folder (created if absent), which
    also holds for the superuser and for read-only filesystems, where permission bits mislead.
    """
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        if path.is_dir():
            raise LthError(f"cannot write '{path}': it is a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path.parent) as probe:
                probe.write(b"\0")
                probe.flush()
        except OSError as exc:
            raise LthError(f"cannot write '{path}': {exc.strerror or exc}") from None


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_json_object(path: str | os.PathLike, what: str = "JSON file") -> dict:
    """The JSON object in ``path``; a missing, empty, corrupt or non-object file raises LthError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LthError(f"{what} not found: '{path}'") from None
    except OSError as exc:
        raise LthError(f"{what} '{path}' cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise LthError(f"{what} '{path}' is not valid JSON: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise LthError(f"{what} '{path}' is empty")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LthError(
            f"{what} '{path}' is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise LthError(f"{what} '{path}' holds a JSON {type(value).__name__}, not an object")
    return value


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (read in chunks: weight files reach hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
