"""XOR with 2-h-1 networks (Frankle & Carbin 2018, arXiv v1, section 2): Tables 1 and 2.

A network has two inputs, one hidden layer of h ReLU units and one output unit (a logit; the
loss is binary cross-entropy), and is trained on the four points of XOR, full batch. Success is
measured two ways on those four points after training:

- **DB** (decision boundary): all four points are on the right side (logit > 0 exactly for the
  points labelled 1);
- **ZL** (zero loss): the mean binary cross-entropy is below a threshold (``zero_loss``).

Speed: a study trains thousands of networks of a few dozen weights. One Python loop per network
would spend all its time in the interpreter, so ``N`` independent networks are stacked into
tensors (``w1``: N×h×2, ``b1``: N×h, ``w2``: N×h, ``b2``: N) and trained together with one
optimiser. The loss is the *sum* of the networks' own losses, so each network's gradient is
exactly its own, and Adam and SGD act elementwise, so the batch is the same as N separate
runs (up to floating-point summation order). Full-batch training has no data order, and each
network's θ₀ comes from its own seed, so results are deterministic and a network's init does not
depend on how many others are trained beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from safetensors.torch import save as to_bytes

from lth import models
from lth.errors import LthError
from lth.io import check_hash, read_json_object, sidecar, write_pair
from lth.seeds import derive_seed
from lth.specs import ModelSpec
from lth.training import make_optimizer
from lth.units import keep_units, unit_scores, unit_weight_masks

# The four XOR points and their labels.
POINTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
LABELS = torch.tensor([0.0, 1.0, 1.0, 0.0])
PARAMS = ("w1", "b1", "w2", "b2")


@dataclass
class Nets:
    """N stacked 2-h-1 networks: w1 (N, h, 2), b1 (N, h), w2 (N, h), b2 (N,)."""

    w1: torch.Tensor
    b1: torch.Tensor
    w2: torch.Tensor
    b2: torch.Tensor

    def tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        return {f"{prefix}{k}": getattr(self, k) for k in PARAMS}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], prefix: str = "") -> Nets:
        return cls(*(tensors[f"{prefix}{k}"] for k in PARAMS))

    def __len__(self) -> int:
        return self.w1.shape[0]


def init_seed(seed: int, width: int, index: int) -> int:
    """θ₀ seed of network ``index`` of width ``width`` (independent of how many are trained)."""
    return derive_seed(seed, "xor", "width", width, "init", index)


def init_nets(spec, width: int, count: int) -> tuple[Nets, list[int]]:
    """θ₀ of ``count`` 2-``width``-1 networks, each from the library's initialiser with its own seed.

    Each network is built as the library's ``mlp`` (hidden [width], one output) and initialised by
    `lth.models.initialise`, so the XOR nets follow the same initialisers as every other model.
    That leaves the biases at zero; ``bias_init`` constant or normal then sets every bias (hidden
    and output), the normal one from a generator of its own, so the weights do not depend on it.
    """
    model_spec = ModelSpec(name="mlp", hidden=(width,), init=spec.init, init_std=spec.init_std)
    seeds = [init_seed(spec.seed, width, i) for i in range(count)]
    parts = {k: [] for k in PARAMS}
    for seed in seeds:
        model = models.build(model_spec, (2,), 1)
        models.initialise(model, model_spec, seed)
        state = model.state_dict()
        parts["w1"].append(state["hidden.0.weight"])
        parts["b1"].append(state["hidden.0.bias"])
        parts["w2"].append(state["output.weight"][0])
        parts["b2"].append(state["output.bias"][0])
        if spec.bias_init != "zero":
            parts["b1"][-1], parts["b2"][-1] = _biases(spec, seed, width)
    return Nets(*(torch.stack(parts[k]) for k in PARAMS)), seeds


def _biases(spec, seed: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A network's hidden biases (width,) and output bias () under ``spec.bias_init``.

    Zero biases leave a ReLU unit whose incoming weights are both negative dead on all four points
    (no gradient ever revives it), so the bias init decides how many small networks can train.
    """
    if spec.bias_init == "constant":
        values = torch.full((width + 1,), spec.bias_scale)
    else:
        g = torch.Generator().manual_seed(derive_seed(seed, "bias"))
        values = torch.randn(width + 1, generator=g) * spec.bias_scale
    return values[:width], values[width]


def logits(nets: Nets, x: torch.Tensor = POINTS) -> torch.Tensor:
    """(N, points) output logits of every network on every point."""
    hidden = torch.relu(torch.einsum("nhi,pi->nph", nets.w1, x) + nets.b1.unsqueeze(1))
    return torch.einsum("nph,nh->np", hidden, nets.w2) + nets.b2.unsqueeze(1)


def losses(nets: Nets) -> torch.Tensor:
    """(N,) mean binary cross-entropy of each network over the four points."""
    z = logits(nets)
    return F.binary_cross_entropy_with_logits(z, LABELS.expand_as(z), reduction="none").mean(1)


@torch.no_grad()
def outcomes(nets: Nets, zero_loss: float) -> pd.DataFrame:
    """Per network: final loss, DB success (all four points correct) and ZL success (loss < zero_loss)."""
    z = logits(nets)
    correct = ((z > 0) == LABELS.bool()).all(1)
    loss = losses(nets)
    return pd.DataFrame({"loss": loss.double().numpy(), "db": correct.numpy(), "zl": (loss < zero_loss).numpy()})


def train(start: Nets, units: torch.Tensor, spec) -> Nets:
    """Train every network from ``start`` for ``spec.iterations`` full-batch steps.

    ``units`` (N, h) bool marks the surviving hidden units; a removed unit's incoming weights,
    bias and outgoing weight are zeroed before the first step and after every step, so they are
    exactly zero throughout.
    """
    params = [t.detach().clone().requires_grad_(True) for t in (start.w1, start.b1, start.w2, start.b2)]
    unit_masks = unit_weight_masks(units, start.w1.shape[-1], 1)
    mask_values = [unit_masks["in"].float(), unit_masks["bias"].float(), unit_masks["out"][:, 0, :].float()]
    optimizer = make_optimizer(spec, params)

    def apply_mask() -> None:
        with torch.no_grad():
            torch._foreach_mul_(params[:3], mask_values)

    apply_mask()
    for _ in range(spec.iterations):
        loss = losses(Nets(*params)).sum()  # a sum, so each network gets exactly its own gradient
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        apply_mask()
    return Nets(*(p.detach() for p in params))


def dense_run(spec, width: int) -> tuple[Nets, Nets, pd.DataFrame]:
    """Table 1 for one width: θ₀, trained networks and per-network outcomes of ``spec.inits`` nets."""
    theta0, seeds = init_nets(spec, width, spec.inits)
    trained = train(theta0, torch.ones(len(theta0), width, dtype=torch.bool), spec)
    table = outcomes(trained, spec.zero_loss)
    table.insert(0, "seed_init", seeds)
    table.insert(0, "net", range(len(seeds)))
    table.insert(0, "width", width)
    return theta0, trained, table


def _scores(nets: Nets, heuristic: str) -> torch.Tensor:
    return unit_scores(nets.w1, nets.w2.unsqueeze(-2), heuristic)


def _kept(units: torch.Tensor) -> list[str]:
    return [" ".join(str(j) for j in row.nonzero().flatten().tolist()) for row in units]


def pruned_runs(spec, theta0: Nets, trained: Nets, heuristic: str, mode: str) -> pd.DataFrame:
    """Table 2 for one heuristic and mode: prune the trained dense networks' hidden units to each
    of ``spec.prune_to`` units, reset the survivors to θ₀ and retrain.

    ``oneshot``: the units are chosen once, from the trained dense network. ``iterative``: each
    round removes ``spec.per_round`` units scored on the network trained in the round before
    (itself reset to θ₀ and retrained), as in iterative pruning with resetting.
    """
    n, width = theta0.w1.shape[:2]
    targets = sorted(spec.prune_to, reverse=True)
    rows = []

    def record(units: torch.Tensor, retrained: Nets, rounds: int) -> None:
        table = outcomes(retrained, spec.zero_loss)
        table.insert(0, "kept_units", _kept(units))
        table.insert(0, "rounds", rounds)
        table.insert(0, "units", int(units[0].sum()))
        table.insert(0, "net", range(n))
        rows.append(table)

    if mode == "oneshot":
        scores = _scores(trained, heuristic)
        for target in targets:
            units = keep_units(scores, torch.ones(n, width, dtype=torch.bool), target)
            record(units, train(theta0, units, spec), 1)
    else:
        units, current, rounds = torch.ones(n, width, dtype=torch.bool), trained, 0
        while int(units[0].sum()) > targets[-1]:
            units = keep_units(_scores(current, heuristic), units, int(units[0].sum()) - spec.per_round)
            current, rounds = train(theta0, units, spec), rounds + 1
            if int(units[0].sum()) in targets:
                record(units, current, rounds)
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "mode", mode)
    table.insert(0, "heuristic", heuristic)
    return table


def save_nets(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Write a study's networks (`Nets.tensors` of θ₀ and trained) with ``meta`` as sidecar."""
    blob = to_bytes({k: v.contiguous() for k, v in tensors.items()}, metadata={"format": "lth-xor-nets-1"})
    write_pair(path, blob, meta)


def load_nets(path: Path) -> dict[str, torch.Tensor]:
    """The tensors `save_nets` wrote, after checking the file's hash against its sidecar."""
    if not Path(path).is_file():
        raise LthError(f"XOR networks file not found: '{path}'")
    check_hash(path, read_json_object(sidecar(path), "sidecar of XOR networks"), "XOR networks")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"'{path}' is not a safetensors file ({exc})") from None
