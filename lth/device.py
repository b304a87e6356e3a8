"""Where a job runs: the device, its checks, a GPU of its own, and the numerics settings.

Why the checks: the pinned torch is a CUDA 13 build with kernels for compute capability 7.5 and up
and needs a recent NVIDIA driver. On an older GPU a job would die mid-way with "no kernel image",
and on a node whose driver is too old ``torch.cuda.is_available()`` is false, so ``auto`` would
quietly train on the CPU while holding the GPU the scheduler gave it. Both now stop at once with
one line saying why.

Why a GPU of its own: Snakemake's ``--resources gpu=N`` only counts jobs; every job that picks
``cuda`` would land on ``cuda:0``. When several GPUs are visible and the config does not name one,
each job claims the least-used GPU through lock files (`claim_gpu`), held until it exits.
"""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import IO

import torch

from lth.errors import LthError

log = logging.getLogger("lth.device")

PRECISIONS = ("fp32", "tf32")
# torch's name for each precision setting (torch.backends.*.fp32_precision)
_TORCH_PRECISION = {"fp32": "ieee", "tf32": "tf32"}
# Values of CUDA_VISIBLE_DEVICES / SLURM_JOB_GPUS that give no GPU: hidden on purpose ("" or "-1"),
# or SLURM's placeholder for a GPU without a device file.
_NO_GPU = ("", "-1", "NoDevFiles")
_claims: list[IO] = []  # lock files of the GPUs this process claimed, open until it exits


def granted_gpu() -> str | None:
    """The environment setting through which the scheduler (or the user) gave this process a GPU,
    as 'VARIABLE=value', or None. CUDA_VISIBLE_DEVICES set to '' or '-1' hides the GPUs on purpose
    and wins over SLURM_JOB_GPUS."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return None
    for variable in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS"):
        value = os.environ.get(variable, "").strip()
        if value not in _NO_GPU:
            return f"{variable}={value}"
    return None


def kernels_for(capability: tuple[int, int], arch_list: list[str]) -> bool:
    """Whether a torch build with ``arch_list`` (torch.cuda.get_arch_list()) runs on a GPU of
    ``capability``: a cubin for sm_XY runs on the same major version with minor >= Y (CUDA's binary
    compatibility), PTX for compute_XY is compiled for any capability >= XY."""
    major, minor = capability
    for arch in arch_list:
        kind, _, version = arch.partition("_")
        digits = re.sub(r"[^0-9]", "", version)
        if not digits:
            continue
        code_major, code_minor = int(digits[:-1]), int(digits[-1])
        if kind == "sm" and code_major == major and code_minor <= minor:
            return True
        if kind == "compute" and (code_major, code_minor) <= (major, minor):
            return True
    return False


def _check_supported(index: int) -> None:
    major, minor = torch.cuda.get_device_capability(index)
    archs = torch.cuda.get_arch_list()
    if not kernels_for((major, minor), archs):
        raise LthError(
            f"GPU '{torch.cuda.get_device_name(index)}' (sm_{major}{minor}) is not supported by this torch build "
            f"(torch {torch.__version__} has kernels for {', '.join(archs)}); "
            f"use device: cpu or a torch build for sm_{major}{minor}"
        )


def lock_dir() -> Path:
    """Where GPU claims are kept: $LTH_GPU_LOCK_DIR, else a folder in the system's temporary folder
    (one per machine, so every job on it sees the others' claims)."""
    return Path(os.environ.get("LTH_GPU_LOCK_DIR") or Path(tempfile.gettempdir()) / "lth-gpu-claims")


def claim_gpu(labels: list[str], directory: Path) -> tuple[int, IO]:
    """Claim the least-used of the GPUs named ``labels`` (their physical names, the same for every
    job on the machine); return its index among them and the open lock file that holds the claim.

    Each GPU has numbered slots, one lock file each; a job takes the first free slot of the lowest
    number, going through the GPUs in order, so claims fill slot 0 of every GPU before any slot 1:
    with N GPUs and up to N jobs, each job has a GPU to itself, and more jobs spread evenly. The
    operating system releases a lock when its process ends, however it ends, so no claim outlives
    its job.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for slot in itertools.count():
        for index, label in enumerate(labels):
            handle = open(directory / f"gpu-{label}.slot{slot}.lock", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return index, handle
    raise AssertionError("unreachable: only finitely many slots can be held")


def _visible_labels(count: int) -> list[str]:
    """Physical names of the visible GPUs: CUDA_VISIBLE_DEVICES' entries when it lists them, else 0..count-1."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if v.strip()]
    return visible if len(visible) == count else [str(i) for i in range(count)]


def resolve_device(name: str) -> torch.device:
    """The torch device for a config's ``device``: auto, cpu, cuda or cuda:N.

    'auto' is CUDA when torch can use it, else the CPU, unless the process was given a GPU (see
    `granted_gpu`): then CUDA not being usable is an error, not a reason to train on the CPU.
    'cuda' and 'auto' take the least-used visible GPU when there are several (`claim_gpu`);
    'cuda:N' must be a visible GPU. A GPU this torch build has no kernels for is an error.
    """
    match = re.fullmatch(r"cuda(?::(\d+))?", name)
    if name not in ("auto", "cpu") and not match:
        raise LthError(f"unknown device '{name}' (allowed: auto, cpu, cuda, cuda:N)")
    if name == "cpu":
        return torch.device("cpu")
    granted = granted_gpu()
    if not torch.cuda.is_available():
        if granted:
            raise LthError(
                f"device '{name}': this job was given a GPU ({granted}) but torch cannot use CUDA "
                f"(torch {torch.__version__}, CUDA {torch.version.cuda or 'none'}: is the NVIDIA driver "
                "recent enough? see nvidia-smi); use device: cpu to train on the CPU"
            )
        if name == "auto":
            return torch.device("cpu")
        raise LthError(f"device '{name}' requested but no CUDA device is available (use 'auto' or 'cpu')")
    count = torch.cuda.device_count()
    if match and match.group(1) is not None:
        index = int(match.group(1))
        if index >= count:
            raise LthError(f"device '{name}': no such GPU, {count} visible (cuda:0 to cuda:{count - 1})")
    elif count > 1:
        index, handle = claim_gpu(_visible_labels(count), lock_dir())
        _claims.append(handle)
        log.info("claimed GPU %d of %d visible (lock %s)", index, count, handle.name)
    else:
        index = 0
    _check_supported(index)
    torch.cuda.set_device(index)  # stray allocations (RNG states, workspaces) go to this GPU too
    return torch.device("cuda", index)


def configure_runtime(threads: int | None, precision: str = "fp32") -> None:
    """Deterministic kernels, float32 precision on GPUs, and a thread count that matches what the
    scheduler granted.

    The kernel flag is set through ``torch._C`` because ``torch.use_deterministic_algorithms`` also
    imports ``torch._inductor`` just to set the compiler's copy of the flag: 1.7 s on a 2-core CPU for
    a job that builds no optimizer (interpolation, evaluation), for a compiler lth never uses. Torch
    is pinned, so the private calls are stable here. Deterministic mode would also fill every new
    tensor with NaN before use, a pass over each allocation that no op here needs (none reads memory
    it did not write), so that fill is off.

    ``precision``: 'fp32' keeps GPU matrix products and convolutions in IEEE float32, as on the CPU
    (this torch otherwise runs cuDNN convolutions in TF32 while linear layers stay fp32); 'tf32'
    lets both use TensorFloat-32 on GPUs that have it (faster, about 3 fewer significant digits per
    product). CPUs are unaffected.
    """
    if precision not in PRECISIONS:
        raise LthError(f"precision: unknown value '{precision}' (allowed: {', '.join(PRECISIONS)})")
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch._C._set_deterministic_algorithms(True, warn_only=True)
    torch._C._set_deterministic_fill_uninitialized_memory(False)
    torch.backends.cuda.matmul.fp32_precision = _TORCH_PRECISION[precision]
    torch.backends.cudnn.conv.fp32_precision = _TORCH_PRECISION[precision]
    if threads:
        torch.set_num_threads(threads)


def precision() -> str:
    """The GPU float32 precision in force: 'fp32', 'tf32', or both torch settings when they differ."""
    matmul, conv = torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision
    names = {v: k for k, v in _TORCH_PRECISION.items()}
    if matmul == conv and matmul in names:
        return names[matmul]
    return f"matmul {matmul}, cudnn conv {conv}"
