"""Typed hyperparameters for models, training and pruning.

The pipeline passes each job only the slice of the config it depends on, as YAML/JSON text; these
dataclasses parse that text, reject unknown keys and wrong types with a message naming the key,
and fill in the papers' defaults. `to_dict()` gives the canonical form that is recorded in every
output's provenance.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import yaml

from lth.errors import LthError


def parse_mapping(text_or_mapping: str | Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """Accept a mapping, or YAML/JSON text (as given on the command line) that holds one."""
    if text_or_mapping is None:
        return {}
    if isinstance(text_or_mapping, Mapping):
        return dict(text_or_mapping)
    try:
        value = yaml.safe_load(text_or_mapping)
    except yaml.YAMLError as exc:
        raise LthError(f"{where}: not valid YAML/JSON: {exc}".splitlines()[0]) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LthError(f"{where}: expected a mapping such as '{{name: mlp}}', got {value!r}")
    return value


def _check_type(value: Any, annotation: Any, key: str) -> Any:
    """Coerce ``value`` to the field's annotated type or raise naming ``key``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or (origin is not None and type(None) in args):
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check_type(value, inner[0], key)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise LthError(f"{key}: expected a list, got {value!r}")
        return tuple(_check_type(v, args[0], key) for v in value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LthError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise LthError(f"{key}: expected an integer, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise LthError(f"{key}: expected a string, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise LthError(f"{key}: expected true or false, got {value!r}")
        return value
    return value


def _choice(value: str, allowed: typing.Iterable[str], key: str) -> None:
    allowed = sorted(allowed)
    if value not in allowed:
        raise LthError(f"{key}: unknown value '{value}' (allowed: {', '.join(allowed)})")


def momentum_inert(optimizer: str) -> dict[str, str]:
    """`Spec.inert` of a momentum key: it only matters to SGD."""
    return {} if optimizer == "sgd" else {"momentum": f"with optimizer: {optimizer} (momentum is SGD's)"}


def init_std_inert(init: str) -> dict[str, str]:
    """`Spec.inert` of an init_std key: only the plain normal initialiser reads it."""
    return {} if init == "normal" else {"init_std": f"with init: {init} (only init: normal draws from N(0, init_std²))"}


class Spec:
    """Base for the hyperparameter dataclasses: strict parsing and a canonical dict form."""

    @classmethod
    def from_dict(cls, data: str | Mapping[str, Any] | None, where: str | None = None):
        where = where or cls.__name__
        data = parse_mapping(data, where)
        hints = typing.get_type_hints(cls)
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise LthError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(names))})")
        values = {k: _check_type(v, hints[k], f"{where}.{k}") for k, v in data.items()}
        obj = cls(**values)
        obj.validate(where)
        inert = obj.inert()
        given = [key for key in names if key in data and key in inert]  # in field order
        if given:
            raise LthError(f"{where}.{given[0]}: has no effect {inert[given[0]]}; remove it")
        return obj

    def validate(self, where: str) -> None:
        """Check value ranges; subclasses raise LthError naming ``where.key``."""

    def inert(self) -> dict[str, str]:
        """Keys that have no effect with the other values, each with the reason ("with ...").

        Giving one is an error (a sweep over it would train identical networks), and `to_dict`
        leaves them out, so the canonical form names only settings that matter and parses back.
        """
        return {}

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        inert = self.inert()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items() if k not in inert}


# The names the registries define (lth.models.MODELS, lth.data.DATASETS), kept here free of torch:
# validating a config, which every Snakemake process does (each cluster job too), then needs no
# torch import (1.3 s on a 2-core CPU). tests/test_schema.py checks they agree with the registries.
MODEL_NAMES = ("mlp", "conv2", "conv4", "conv6", "vgg16", "vgg19", "resnet20")
DATASET_NAMES = ("mnist", "fashion_mnist", "cifar10", "cifar10_subset", "xor")
# Default hidden widths of the models that have fully connected hidden layers (lth.models).
HIDDEN: dict[str, tuple[int, ...]] = {
    "mlp": (300, 100),  # LeNet-300-100
    "conv2": (256, 256),
    "conv4": (256, 256),
    "conv6": (256, 256),
}
INITIALISERS = ("glorot_normal", "normal", "kaiming_normal")
# How the XOR study scores hidden units for pruning (lth.units); here so that specs need no torch.
UNIT_HEURISTICS = ("input", "output", "product")


@dataclass(frozen=True)
class ModelSpec(Spec):
    """Architecture and initialiser.

    ``hidden`` gives the fully connected hidden widths of ``mlp`` (default [300, 100],
    LeNet-300-100) and ``conv2/4/6`` (default [256, 256]); ``dropout`` follows each of those layers.
    ``vgg16``, ``vgg19`` and ``resnet20`` have no such layers, so neither key applies to them.
    """

    name: str = "mlp"
    hidden: tuple[int, ...] | None = None  # filled in with the model's default (HIDDEN)
    init: str = "glorot_normal"
    init_std: float = 0.1  # only for init: normal (the first LTH version used N(0, 0.1))
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # Resolve the default widths here, so that `{name: mlp}` and `{name: mlp, hidden: [300, 100]}`
        # are the same spec (same canonical params, no spurious re-runs) and provenance shows them.
        if self.hidden is None and self.name in HIDDEN:
            object.__setattr__(self, "hidden", HIDDEN[self.name])

    def validate(self, where: str) -> None:
        _choice(self.name, MODEL_NAMES, f"{where}.name")
        _choice(self.init, INITIALISERS, f"{where}.init")
        if self.name not in HIDDEN and (self.hidden is not None or self.dropout):
            key = "hidden" if self.hidden is not None else "dropout"
            raise LthError(
                f"{where}.{key}: model '{self.name}' has no fully connected hidden layers "
                f"(hidden and dropout apply to: {', '.join(sorted(HIDDEN))})"
            )
        if self.hidden is not None and (not self.hidden or any(h <= 0 for h in self.hidden)):
            raise LthError(f"{where}.hidden: need one or more positive widths, got {list(self.hidden)}")
        if self.init_std <= 0:
            raise LthError(f"{where}.init_std: must be positive, got {self.init_std}")
        if not 0.0 <= self.dropout < 1.0:
            raise LthError(f"{where}.dropout: must be in [0, 1), got {self.dropout}")

    def inert(self) -> dict[str, str]:
        return init_std_inert(self.init)

    def layer_kinds(self) -> tuple[str, ...]:
        """Kinds of the model's prunable layers (`lth.models`: every model but the MLP has
        convolutions; fc hidden layers where the model takes `hidden`; an output layer always)."""
        return ("conv",) * (self.name != "mlp") + ("fc",) * (self.name in HIDDEN) + ("output",)


OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainSpec(Spec):
    """Optimiser, schedule and budget. Iterations count optimiser steps, as in the papers."""

    optimizer: str = "adam"
    lr: float = 1.2e-3
    batch_size: int = 60
    iterations: int = 50000
    eval_every: int = 100
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    warmup: int = 0  # iterations of linear learning-rate warmup from 0
    milestones: tuple[int, ...] = ()  # iterations at which the learning rate is multiplied by gamma
    gamma: float = 0.1
    eval_batch_size: int | None = None  # None: by device, lth.training.EVAL_BATCH (10,000 on a GPU, 1,000 on the CPU)
    augment: bool = False  # random crop (padding 4) and horizontal flip of image batches (lth.augment)

    def validate(self, where: str) -> None:
        _choice(self.optimizer, OPTIMIZERS, f"{where}.optimizer")
        for key in ("lr", "batch_size", "iterations", "eval_every", "eval_batch_size"):
            if getattr(self, key) is not None and getattr(self, key) <= 0:
                raise LthError(f"{where}.{key}: must be positive, got {getattr(self, key)}")
        if self.warmup < 0 or self.weight_decay < 0 or not 0 <= self.momentum < 1:
            raise LthError(f"{where}: warmup and weight_decay must be >= 0 and momentum in [0, 1)")
        if list(self.milestones) != sorted(self.milestones):
            raise LthError(f"{where}.milestones: must be increasing, got {list(self.milestones)}")

    def inert(self) -> dict[str, str]:
        inert = momentum_inert(self.optimizer)
        if not self.milestones:
            inert["gamma"] = "without milestones (gamma multiplies the learning rate at each milestone)"
        return inert

    def lr_at(self, iteration: int) -> float:
        """Learning rate for the step that starts at ``iteration`` (warmup, then step decay)."""
        lr = self.lr
        if self.warmup and iteration < self.warmup:
            lr *= (iteration + 1) / self.warmup
        for milestone in self.milestones:
            if iteration >= milestone:
                lr *= self.gamma
        return lr


STRATEGIES = ("layerwise", "global")
LAYER_KINDS = ("conv", "fc", "output")
PRUNE_MODES = ("iterative", "oneshot", "both")


@dataclass(frozen=True)
class PruneSpec(Spec):
    """How much to prune per round.

    ``rate`` is the fraction of each layer's *surviving* weights removed per round; the output layer
    uses ``output_rate`` (default: half of ``rate``, as in the LTH paper), convolutional layers
    ``conv_rate`` (default: ``rate``). With ``strategy: global`` one ``rate`` applies to all
    prunable weights pooled together. ``exclude`` lists layer kinds ('conv', 'fc', 'output') that
    are never pruned: the papers prune VGG-19 and ResNet-20 globally over the convolutions only,
    i.e. ``exclude: [output]``.
    """

    strategy: str = "layerwise"
    rate: float = 0.2
    output_rate: float | None = None
    conv_rate: float | None = None
    rounds: int = 1
    # iterative: each round prunes the previous round's trained ticket (IMP); oneshot: each round r
    # prunes the trained dense network straight to round r's sparsity; both: the iterative ticket
    # plus a one-shot ticket ('oneshot' variant) at every round, for LTH Figure 4-style overlays.
    mode: str = "iterative"
    exclude: tuple[str, ...] = ()
    # Instead of `rate`: the fraction of weights left after `rounds` rounds. Every prunable layer
    # that is not excluded, the output layer too, then follows the same schedule (see
    # `lth.masks.scheduled_count`) at the derived per-round rate 1 - target_remaining^(1/rounds).
    target_remaining: float | None = None

    @classmethod
    def from_dict(cls, data, where: str | None = None) -> PruneSpec:
        """Parse as `Spec.from_dict`, then derive the per-round rate from ``target_remaining``.

        ``target_remaining`` and an explicit ``rate`` (or ``output_rate``/``conv_rate``) are
        mutually exclusive: two sources for the same number would silently disagree.
        """
        where = where or cls.__name__
        raw = parse_mapping(data, where)
        spec = super().from_dict(raw, where)
        if spec.target_remaining is None:
            return spec
        given = [key for key in ("rate", "output_rate", "conv_rate") if raw.get(key) is not None]
        if given:
            raise LthError(
                f"{where}.{given[0]}: give either a rate or target_remaining, not both "
                f"(with target_remaining the per-round rate 1 - target^(1/rounds) is derived for every layer)"
            )
        rate = 1.0 - spec.target_remaining ** (1.0 / spec.rounds)
        return dataclasses.replace(spec, rate=rate, output_rate=rate, conv_rate=rate)

    def validate(self, where: str) -> None:
        _choice(self.strategy, STRATEGIES, f"{where}.strategy")
        _choice(self.mode, PRUNE_MODES, f"{where}.mode")
        for kind in self.exclude:
            _choice(kind, LAYER_KINDS, f"{where}.exclude")
        for key in ("rate", "output_rate", "conv_rate"):
            value = getattr(self, key)
            if value is not None and not 0.0 <= value < 1.0:
                raise LthError(f"{where}.{key}: must be in [0, 1), got {value}")
        if self.rounds < 0:
            raise LthError(f"{where}.rounds: must be >= 0, got {self.rounds}")
        if self.target_remaining is not None:
            if not 0.0 < self.target_remaining < 1.0:
                raise LthError(f"{where}.target_remaining: must be in (0, 1), got {self.target_remaining}")
            if self.rounds < 1:
                raise LthError(f"{where}.rounds: target_remaining needs rounds >= 1, got {self.rounds}")

    def inert(self) -> dict[str, str]:
        if self.rounds == 0:
            return {
                key: "with rounds: 0 (nothing is pruned)"
                for key in ("strategy", "rate", "output_rate", "conv_rate", "mode", "exclude")
            }
        inert = {}
        if self.strategy == "global":
            reason = "with strategy: global (one rate for all pooled weights)"
            inert.update(output_rate=reason, conv_rate=reason)
        for key, kind in (("output_rate", "output"), ("conv_rate", "conv")):
            if kind in self.exclude:
                inert[key] = f"with {kind} layers excluded from pruning"
        return inert

    def to_dict(self) -> dict[str, Any]:
        """Canonical form; with ``target_remaining`` the derived rates are left out, so that the
        form parses back (and a job's params name only what the user chose)."""
        out = super().to_dict()
        if self.target_remaining is not None:
            for key in ("rate", "output_rate", "conv_rate"):
                out.pop(key, None)
        return out

    def rate_for(self, kind: str) -> float:
        """Per-round rate for a layer of the given kind ('fc', 'conv' or 'output'); 0 if excluded."""
        if kind in self.exclude:
            return 0.0
        if kind == "output":
            return self.output_rate if self.output_rate is not None else self.rate / 2
        if kind == "conv":
            return self.conv_rate if self.conv_rate is not None else self.rate
        return self.rate


@dataclass(frozen=True)
class InstabilitySpec(Spec):
    """Linear-mode-connectivity instability (Frankle et al. 2020) at rewind points and sparsities.

    For each k in ``rewind_iterations`` and each round in ``rounds`` (0 = the dense network), two
    copies start from the round's mask ⊙ θ_k and train from k with different data orders; the error
    along the line between them gives the instability.
    """

    rewind_iterations: tuple[int, ...] = (0,)
    rounds: tuple[int, ...] = (0,)
    points: int = 30
    threshold: float = 0.02

    def validate(self, where: str) -> None:
        if not self.rewind_iterations or any(k < 0 for k in self.rewind_iterations):
            raise LthError(
                f"{where}.rewind_iterations: need one or more iterations >= 0, got {list(self.rewind_iterations)}"
            )
        if not self.rounds or any(r < 0 for r in self.rounds):
            raise LthError(f"{where}.rounds: need one or more rounds >= 0, got {list(self.rounds)}")
        if self.points < 2:
            raise LthError(f"{where}.points: need at least 2 (the endpoints), got {self.points}")


@dataclass(frozen=True)
class DataSpec(Spec):
    """Which dataset, and how the validation set is held out of the training set."""

    dataset: str = "mnist"
    validation_size: int = 5000
    split_seed: int = 0
    # Fraction of the training examples (after the validation hold-out) used for training: a
    # stratified subset, see `lth.data.stratified_subset` (less-data studies).
    train_fraction: float = 1.0

    def validate(self, where: str) -> None:
        _choice(self.dataset, DATASET_NAMES, f"{where}.dataset")
        if self.validation_size < 0:
            raise LthError(f"{where}.validation_size: must be >= 0, got {self.validation_size}")
        if self.validation_size == 0:
            raise LthError(
                f"{where}.validation_size: 0 leaves no validation set, and early stopping (the iteration of "
                "minimum validation loss) would silently become the last iteration; hold out at least 1 example"
            )
        if not 0.0 < self.train_fraction <= 1.0:
            raise LthError(f"{where}.train_fraction: must be in (0, 1], got {self.train_fraction}")


@dataclass(frozen=True)
class SweepSpec(Spec):
    """One experiment expanded into several by giving one key several values (`lth.sweeps`).

    ``key`` is a dotted path into the experiment's settings (``train.lr``, ``model.hidden``,
    ``prune.rate``, ``train_fraction``, ...); each value replaces it in a copy of the experiment.
    """

    key: str = ""
    values: tuple[Any, ...] = ()

    def validate(self, where: str) -> None:
        if not self.key:
            raise LthError(f"{where}.key: required (the dotted setting to vary, e.g. train.lr)")
        if not self.values:
            raise LthError(f"{where}.values: need at least one value")


__all__ = ["DataSpec", "InstabilitySpec", "ModelSpec", "PruneSpec", "SweepSpec", "TrainSpec", "parse_mapping"]
