"""Model registry: names in the config map to builders here.

Every model exposes `prunable_layers()`, a dict from the name of each weight tensor that carries
a mask to its kind ('fc', 'conv' or 'output'), so pruning rates can follow the papers (output layer at half
rate). Biases (and, later, batch-norm parameters) are never pruned.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from lth.errors import LthError
from lth.models.mlp import MLP

MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": lambda spec, input_shape, num_classes: MLP(input_shape, spec.hidden, num_classes),
}


def build(spec, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """Build the (uninitialised) model described by ``spec`` (a `lth.specs.ModelSpec`)."""
    if spec.name not in MODELS:
        raise LthError(f"unknown model '{spec.name}' (known: {', '.join(sorted(MODELS))})")
    return MODELS[spec.name](spec, tuple(input_shape), num_classes)


def initialise(model: nn.Module, spec, seed: int) -> None:
    """Initialise weights in place from ``seed``: Glorot normal, N(0, std) or Kaiming; biases zero.

    Initialisation runs on the CPU with its own generator so that θ₀ is identical whatever the
    device and whatever else consumed random numbers before.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                weight = module.weight
                cpu = torch.empty(weight.shape)
                if spec.init == "glorot_normal":
                    nn.init.xavier_normal_(cpu, generator=g)
                elif spec.init == "normal":
                    nn.init.normal_(cpu, 0.0, spec.init_std, generator=g)
                elif spec.init == "kaiming_normal":
                    nn.init.kaiming_normal_(cpu, nonlinearity="relu", generator=g)
                else:
                    raise LthError(f"model.init: unknown initialiser '{spec.init}'")
                weight.copy_(cpu)
                if module.bias is not None:
                    module.bias.zero_()
