"""The one exception type users see, and how its one line reaches them.

Anything raised as `LthError` is a problem with the user's input (a config key, a file, a model
name); the CLI prints it as a single line naming the culprit and exits non-zero, without a
traceback. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
import sys


class LthError(Exception):
    """Bad input: the message names the culprit and what would be accepted."""


class DamagedFile(LthError):
    """A file that is not what was written (its content hash differs from its sidecar's record).

    ``reason`` says how, without the file's name, for listings that name it already (`lth verify`).
    """

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


# Where the line goes when stderr cannot take it: the stderr of the process that started lth
# (Snakemake, or the shell of `lth ... > log 2>&1`), which is what the user watches.
PARENT_STDERR = f"/proc/{os.getppid()}/fd/2"


def report(line: str) -> None:
    """Print ``line`` on stderr, or, when stderr cannot be written, on the parent's stderr.

    A pipeline job's stderr is its log file (``> {log} 2>&1``); on a full disk that write fails
    and Snakemake would show only "Logfile ...: empty file". The parent's stderr (Linux /proc)
    is the terminal or the cluster job's output, so the cause still reaches the user.
    """
    try:
        print(line, file=sys.stderr, flush=True)
        return
    except OSError:
        pass
    try:
        with open(PARENT_STDERR, "a", encoding="utf-8") as parent:
            parent.write(f"{line} (and the log could not be written)\n")
    except OSError:
        pass  # nowhere left to write; the exit status still says the job failed
