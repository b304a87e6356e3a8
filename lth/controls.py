"""The controls' start states, in a registry: control name -> function (the shape of open_lth's
branch registry), so a new control is one function here and one row in `lth.variants`.

Each function takes the ticket's rewind state (θ₀, or θ_k under late rewinding), the ticket's
mask of the round and the control's own seed, and returns the control's mask, its weights (the
caller applies the mask) and what its sidecar records besides. The registry's names are the
control variants of `lth.variants` (tests/test_variants.py checks it).
"""

from __future__ import annotations

import torch

from lth import masks, models
from lth.checkpoint import Checkpoint, build_model
from lth.errors import LthError
from lth.masks import Mask
from lth.specs import ModelSpec

Start = tuple[Mask, dict[str, torch.Tensor], dict]


def reinit(source: Checkpoint, mask: Mask, seed: int) -> Start:
    """LTH control 1: the ticket's mask over fresh weights from the model's initialiser."""
    model = build_model(source)
    models.initialise(model, ModelSpec.from_dict(source.model, "model"), seed)
    return mask, model.state_dict(), {}


def shuffle(source: Checkpoint, mask: Mask, seed: int, output: bool = False) -> Start:
    """LTH control 2: the ticket's connections, each with its own rewind value, moved to random
    positions of its layer (`masks.shuffle`); the output layer's too only with ``output``."""
    layers = masks.shuffle_layers(build_model(source), output=output)
    mask, weights = masks.shuffle(source.weights, mask, layers, torch.Generator().manual_seed(seed))
    return mask, weights, {"shuffled_layers": layers}


def random(source: Checkpoint, mask: Mask, seed: int) -> Start:
    """Random pruning: a random mask with the ticket's per-layer counts over the rewind weights."""
    return masks.random_mask(mask, torch.Generator().manual_seed(seed)), source.weights, {}


CONTROLS = {"reinit": reinit, "shuffle": shuffle, "random": random}


def check(kind: str, shuffle_output: bool = False) -> None:
    """An unknown control, or ``shuffle_output`` for a control other than shuffle, is an error
    (checked before any file is read)."""
    if shuffle_output and kind != "shuffle":
        raise LthError(f"--shuffle-output applies to --kind shuffle only, not to --kind {kind}")
    if kind not in CONTROLS:
        raise LthError(f"unknown control '{kind}' (controls: {', '.join(CONTROLS)})")


def start(kind: str, source: Checkpoint, mask: Mask, seed: int, shuffle_output: bool = False) -> Start:
    """The start of control ``kind`` (`CONTROLS`); ``shuffle_output`` applies to shuffle only."""
    check(kind, shuffle_output)
    return CONTROLS[kind](source, mask, seed, **({"output": True} if shuffle_output else {}))
