"""Weights and masks in safetensors, with a JSON provenance sidecar.

One file format serves every state in the pipeline (θ₀, trained weights, masks, rewound starts):
tensors named ``weights/<param>`` and ``masks/<param>`` (either group may be empty), the model
spec and dataset name in the safetensors metadata (so a file is self-describing), and beside
``x.safetensors`` a ``x.json`` sidecar with the full provenance: seeds, the config slice that made
it, versions of lth/torch/torchvision, the device and the git commit when known.
safetensors never unpickles, so loading a file from someone else is safe.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

import lth
from lth.device import precision
from lth.errors import LthError
from lth.io import atomic_path, write_json


@dataclass
class Checkpoint:
    weights: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    model: dict  # ModelSpec.to_dict()
    dataset: str
    provenance: dict = field(default_factory=dict)


def sidecar(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".json")


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the lth source tree, with '+dirty' when it has local changes; None outside git."""
    here = Path(lth.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=here, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def environment(device: str | torch.device | None = None) -> dict:
    """Versions, device and commit: recorded in every output.

    With a device, also the GPU float32 precision in force; on a GPU, its model and compute
    capability and the CUDA and cuDNN versions: GPU results are bit-identical only on the same GPU
    model with the same libraries, so these say which results can be compared digit for digit.
    torchvision's version is read from its package metadata: importing it costs seconds per job.
    """
    env = {
        "lth": lth.__version__,
        "torch": torch.__version__,
        "torchvision": importlib.metadata.version("torchvision"),
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if device is not None:
        device = torch.device(device)
        env["device"] = str(device)
        env["precision"] = precision()
        if device.type == "cuda":
            major, minor = torch.cuda.get_device_capability(device)
            env.update(
                device_name=torch.cuda.get_device_name(device),
                device_capability=f"sm_{major}{minor}",
                cuda=torch.version.cuda,
                cudnn=torch.backends.cudnn.version(),
            )
    return env


def save(path: str | os.PathLike, ckpt: Checkpoint) -> None:
    """Write tensors and sidecar atomically (the sidecar last, so its presence means both are whole)."""
    tensors = {f"weights/{k}": v.detach().to("cpu").contiguous() for k, v in ckpt.weights.items()}
    tensors.update({f"masks/{k}": v.detach().to("cpu", torch.bool).contiguous() for k, v in ckpt.masks.items()})
    meta = {"model": json.dumps(ckpt.model, sort_keys=True), "dataset": ckpt.dataset, "format": "lth-checkpoint-1"}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    write_json(sidecar(path), {"model": ckpt.model, "dataset": ckpt.dataset, **ckpt.provenance})


def load(path: str | os.PathLike, what: str = "checkpoint") -> Checkpoint:
    """Read a checkpoint; a missing or foreign file raises LthError naming it."""
    path = Path(path)
    if not path.is_file():
        raise LthError(f"{what} file not found: '{path}'")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"{what} '{path}' is not a safetensors file ({exc})") from None
    if meta.get("format") != "lth-checkpoint-1":
        raise LthError(f"{what} '{path}' was not written by lth (no lth-checkpoint-1 metadata)")
    provenance = json.loads(sidecar(path).read_text()) if sidecar(path).is_file() else {}
    return Checkpoint(
        weights={k[len("weights/"):]: v for k, v in tensors.items() if k.startswith("weights/")},
        masks={k[len("masks/"):]: v for k, v in tensors.items() if k.startswith("masks/")},
        model=json.loads(meta["model"]),
        dataset=meta["dataset"],
        provenance=provenance,
    )
