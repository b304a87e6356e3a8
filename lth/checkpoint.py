"""Weights and masks in safetensors, with a JSON provenance sidecar.

One file format serves every state in the pipeline (θ₀, trained weights, masks, rewound starts):
tensors named ``weights/<param>`` and ``masks/<param>`` (either group may be empty), the model
spec and dataset name in the safetensors metadata (so a file is self-describing), and beside
``x.safetensors`` a ``x.json`` sidecar with the full provenance: seeds, the config slice that made
it, versions of lth/torch/torchvision, the device and the git commit when known, and the SHA-256
of the tensor file, which `load` verifies (a truncated or bit-flipped file is named as damaged,
never used). safetensors never unpickles, so loading a file from someone else is safe; a file
that parses is still checked against the model it names (`check_tensors`).
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
from safetensors.torch import save as to_bytes

import lth
from lth import data, models
from lth.device import precision
from lth.errors import LthError
from lth.io import check_hash, read_json_object, sidecar, write_pair
from lth.specs import ModelSpec


@dataclass
class Checkpoint:
    weights: dict[str, torch.Tensor]
    masks: dict[str, torch.Tensor]
    model: dict  # ModelSpec.to_dict()
    dataset: str
    provenance: dict = field(default_factory=dict)


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


FORMAT = "lth-checkpoint-1"


def save(path: str | os.PathLike, ckpt: Checkpoint) -> None:
    """Write tensors and sidecar (provenance and the tensors' SHA-256) as an atomic pair
    (`lth.io.write_pair`: never a weight file without its sidecar)."""
    tensors = {f"weights/{k}": v.detach().to("cpu").contiguous() for k, v in ckpt.weights.items()}
    tensors.update({f"masks/{k}": v.detach().to("cpu", torch.bool).contiguous() for k, v in ckpt.masks.items()})
    meta = {"model": json.dumps(ckpt.model, sort_keys=True), "dataset": ckpt.dataset, "format": FORMAT}
    write_pair(
        path, to_bytes(tensors, metadata=meta), {"model": ckpt.model, "dataset": ckpt.dataset, **ckpt.provenance}
    )


def read_sidecar(path: str | os.PathLike, what: str = "checkpoint") -> dict:
    """The sidecar of the checkpoint at ``path`` as a dict; a missing, empty, corrupt or
    non-object sidecar raises LthError naming it."""
    return read_json_object(sidecar(path), f"sidecar of {what}")


def load(path: str | os.PathLike, what: str = "checkpoint") -> Checkpoint:
    """Read a checkpoint, checking it; anything wrong raises LthError naming the file.

    Checked, in order: the file exists; its sidecar is a JSON object whose SHA-256 is the file's
    (sidecars written before lth recorded hashes are accepted unverified); it is a safetensors
    file written by lth, with a sidecar; its model and dataset metadata are valid; and its
    tensors are those of that model (`check_tensors`).
    """
    path = Path(path)
    if not path.is_file():
        raise LthError(f"{what} file not found: '{path}'")
    record = read_sidecar(path, what) if sidecar(path).is_file() else None
    if record is not None:
        check_hash(path, record, what)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"{what} '{path}' is not a safetensors file ({exc})") from None
    if meta.get("format") != FORMAT:
        raise LthError(f"{what} '{path}' was not written by lth (no {FORMAT} metadata)")
    if record is None:
        raise LthError(
            f"{what} '{path}' has no sidecar '{sidecar(path)}' (lth writes both; re-create the file with the step that wrote it)"
        )
    where = f"{what} '{path}'"
    try:
        model = json.loads(meta["model"])
        dataset = meta["dataset"]
    except (KeyError, json.JSONDecodeError) as exc:
        raise LthError(
            f"{where}: model or dataset metadata missing or not JSON ({type(exc).__name__}: {exc})"
        ) from None
    ckpt = Checkpoint(
        weights={k[len("weights/") :]: v for k, v in tensors.items() if k.startswith("weights/")},
        masks={k[len("masks/") :]: v for k, v in tensors.items() if k.startswith("masks/")},
        model=model,
        dataset=dataset,
        provenance=record,
    )
    check_tensors(ckpt, where)
    return ckpt


def check_tensors(ckpt: Checkpoint, where: str) -> None:
    """Raise LthError (prefixed with ``where``) unless the tensors are those of the model and
    dataset the checkpoint names: a mask, when present, is boolean and covers exactly the
    model's prunable layers; weights, when present, are exactly the model's tensors, floating
    point (integer buffers aside) and finite. A 0.5 "mask" would halve weights and be saved as a
    full mask, and a NaN weight would be pruned in arbitrary order, so neither is trusted.

    The model is built on the meta device (shapes only, no memory, no initialisation).
    """
    if not isinstance(ckpt.model, dict):
        raise LthError(f"{where}: model metadata is {ckpt.model!r}, not a model spec mapping")
    spec = ModelSpec.from_dict(ckpt.model, f"{where}: model")
    if ckpt.dataset not in data.DATASETS:
        raise LthError(
            f"{where}: unknown dataset {ckpt.dataset!r} in its metadata (known: {', '.join(sorted(data.DATASETS))})"
        )
    info = data.DATASETS[ckpt.dataset]
    try:
        with torch.device("meta"):
            model = models.build(spec, info.input_shape, info.num_classes)
    except LthError as exc:
        raise LthError(f"{where}: {exc}") from None
    expected = model.state_dict()
    kind = f"{spec.name} on {ckpt.dataset}"
    if ckpt.masks:
        _same_names(set(ckpt.masks), set(model.prunable_layers()), f"{where}: mask", f"prunable layer of {kind}")
        for name, m in ckpt.masks.items():
            if m.dtype != torch.bool:
                raise LthError(f"{where}: mask of '{name}' holds {m.dtype} values, not booleans")
            _same_shape(m, expected[name], f"{where}: mask of '{name}'")
    if ckpt.weights:
        _same_names(set(ckpt.weights), set(expected), f"{where}: weights", f"tensor of {kind}")
        for name, w in ckpt.weights.items():
            _same_shape(w, expected[name], f"{where}: weights '{name}'")
            if w.is_floating_point() != expected[name].is_floating_point():
                raise LthError(f"{where}: weights '{name}' are {w.dtype}, expected {expected[name].dtype}")
            if w.is_floating_point() and not bool(torch.isfinite(w).all()):
                raise LthError(f"{where}: weights '{name}' hold NaN or infinite values (did training diverge?)")


def _same_names(have: set[str], want: set[str], where: str, what: str) -> None:
    if have - want:
        raise LthError(f"{where}: '{sorted(have - want)[0]}' is not a {what} (expected: {', '.join(sorted(want))})")
    if want - have:
        raise LthError(f"{where}: {what} '{sorted(want - have)[0]}' is missing")


def _same_shape(tensor: torch.Tensor, expected: torch.Tensor, where: str) -> None:
    if tuple(tensor.shape) != tuple(expected.shape):
        raise LthError(f"{where} has shape {tuple(tensor.shape)}, the model's is {tuple(expected.shape)}")


def check_same_network(a: Checkpoint, a_name: str, b: Checkpoint, b_name: str) -> None:
    """Raise LthError naming both files unless ``a`` and ``b`` are for the same architecture
    (model name and widths) and dataset: a mask or a second network combined with weights of
    another dataset has the right shapes (MNIST and Fashion-MNIST do) and would pass silently."""
    if a.dataset != b.dataset:
        raise LthError(f"{a_name} is for {a.dataset} but {b_name} is for {b.dataset}")
    arch_a, arch_b = (ModelSpec.from_dict(c.model, "model") for c in (a, b))
    if (arch_a.name, arch_a.hidden) != (arch_b.name, arch_b.hidden):
        raise LthError(
            f"{a_name} is for model {arch_a.name} {list(arch_a.hidden or [])} "
            f"but {b_name} is for {arch_b.name} {list(arch_b.hidden or [])}"
        )


def build_model(ckpt: Checkpoint) -> torch.nn.Module:
    """The (uninitialised) network a checkpoint's metadata names: its model spec on its dataset."""
    spec = ModelSpec.from_dict(ckpt.model, "model")
    info = data.dataset_info(ckpt.dataset)
    return models.build(spec, info.input_shape, info.num_classes)


def load_into(model: torch.nn.Module, weights: dict, where: str) -> None:
    """Load ``weights`` into ``model``; weights of another network are an error naming ``where``."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise LthError(f"{where}: weights do not fit the model: {str(exc).splitlines()[0]}") from None


def trial_round(path, ckpt: Checkpoint) -> tuple[int, int]:
    """Where a pipeline output sits, from its sidecar's context."""
    where = ckpt.provenance.get("context", {})
    if "trial" not in where or "round" not in where:
        raise LthError(f"'{path}' has no trial/round in its sidecar's context (was it written by the pipeline?)")
    return where["trial"], where["round"]


def trial_of(ckpt: Checkpoint, default: int) -> int:
    """The trial recorded in a pipeline output's sidecar, else ``default`` (its position)."""
    return int(ckpt.provenance.get("context", {}).get("trial", default))
