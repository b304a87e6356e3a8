"""Studies: named analyses in the config's ``studies:`` block, each of one ``kind``.

- ``ticket``: the small-network ticket study of an IMP experiment (e.g. MLP 784-8-4-10 on
  Fashion-MNIST): weight statistics, pruning without retraining at |w| percentiles, the smallest
  IMP ticket that still reaches an accuracy criterion, that mask trained from a new init, and
  how many subnetworks of the ticket's size exist (log10 C(n, k)).
- ``xor``: the XOR study of the first LTH paper (2-h-1 networks; success rates by width, and of
  10-unit networks pruned to fewer units by three unit-pruning heuristics).

As for experiments, every key is typed here (strict parsing, errors naming ``studies.<name>.<key>``)
and described in the JSON schema; the pipeline passes each job only its study's canonical slice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from lth.errors import LthError
from lth.seeds import derive_seed
from lth.specs import INITIALISERS, OPTIMIZERS, UNIT_HEURISTICS, Spec, _choice, init_std_inert, momentum_inert

METRICS = ("final_test_accuracy", "early_stop_test_accuracy", "max_test_accuracy")
XOR_MODES = ("oneshot", "iterative")
# How the XOR nets' biases start: all zero (as every other model here), all bias_scale, or N(0, bias_scale²).
XOR_BIAS_INITS = ("zero", "constant", "normal")


@dataclass(frozen=True)
class TicketStudy(Spec):
    """The ticket study of an IMP experiment (``experiment``, an entry of ``experiments:``).

    The experiment's round-0 network is the trained dense net (statistics, pruning without
    retraining); its ticket rounds are the IMP tickets searched for ``criterion``.
    """

    kind: str = "ticket"
    experiment: str = ""
    criterion: float = 0.80  # the ticket must still reach this test accuracy
    metric: str = "final_test_accuracy"  # which accuracy of a trained network is compared
    percentiles: tuple[float, ...] = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
    small_weights: tuple[float, ...] = (0.001, 0.01, 0.05, 0.1)  # |w| below these: percent reported
    new_init_budget: int = 4  # the same-mask new-init run trains this many times the iterations
    seed: int = 0

    def validate(self, where: str) -> None:
        _choice(self.metric, METRICS, f"{where}.metric")
        if not 0 < self.criterion <= 1:
            raise LthError(f"{where}.criterion: an accuracy in (0, 1], got {self.criterion}")
        if not self.percentiles or any(not 0 <= p < 100 for p in self.percentiles):
            raise LthError(f"{where}.percentiles: need percentiles in [0, 100), got {list(self.percentiles)}")
        if list(self.percentiles) != sorted(set(self.percentiles)):
            raise LthError(f"{where}.percentiles: must be increasing, got {list(self.percentiles)}")
        if any(t <= 0 for t in self.small_weights):
            raise LthError(f"{where}.small_weights: thresholds must be positive, got {list(self.small_weights)}")
        if self.new_init_budget < 1:
            raise LthError(f"{where}.new_init_budget: must be at least 1, got {self.new_init_budget}")

    def new_init_seed(self, name: str, trial: int) -> int:
        return derive_seed(self.seed, "study", name, "trial", trial, "new_init")


@dataclass(frozen=True)
class XorStudy(Spec):
    """The XOR study: ``inits`` random 2-h-1 networks per setting, trained full batch on XOR."""

    kind: str = "xor"
    inits: int = 1000
    widths: tuple[int, ...] = (10, 8, 6, 4, 2)
    iterations: int = 1000
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    init: str = "glorot_normal"
    init_std: float = 0.1  # only for init: normal
    bias_init: str = "zero"  # zero | constant | normal: every bias (hidden and output) starts here
    bias_scale: float = 0.1  # the constant, or the normal's std (not with bias_init: zero)
    zero_loss: float = 0.01  # ZL success: mean cross-entropy on the four points below this
    prune_from: int = 10
    prune_to: tuple[int, ...] = (4, 2)
    per_round: int = 2  # iterative unit pruning: units removed per round
    heuristics: tuple[str, ...] = UNIT_HEURISTICS
    modes: tuple[str, ...] = XOR_MODES
    seed: int = 0

    def validate(self, where: str) -> None:
        _choice(self.optimizer, OPTIMIZERS, f"{where}.optimizer")
        _choice(self.init, INITIALISERS, f"{where}.init")
        _choice(self.bias_init, XOR_BIAS_INITS, f"{where}.bias_init")
        if self.bias_init == "normal" and self.bias_scale <= 0:
            raise LthError(f"{where}.bias_scale: the std of bias_init normal must be positive, got {self.bias_scale}")
        for key in ("inits", "iterations", "lr", "zero_loss", "init_std", "prune_from", "per_round"):
            if getattr(self, key) <= 0:
                raise LthError(f"{where}.{key}: must be positive, got {getattr(self, key)}")
        if self.weight_decay < 0 or not 0 <= self.momentum < 1:
            raise LthError(f"{where}: weight_decay must be >= 0 and momentum in [0, 1)")
        if not self.widths or any(w <= 0 for w in self.widths) or len(set(self.widths)) != len(self.widths):
            raise LthError(f"{where}.widths: need distinct positive widths, got {list(self.widths)}")
        for key, allowed in (("heuristics", UNIT_HEURISTICS), ("modes", XOR_MODES)):
            for value in getattr(self, key):
                _choice(value, allowed, f"{where}.{key}")
        if not self.prune_to or any(not 0 < t < self.prune_from for t in self.prune_to):
            raise LthError(
                f"{where}.prune_to: unit counts must be in [1, prune_from={self.prune_from}), got {list(self.prune_to)}"
            )
        if "iterative" in self.modes and any((self.prune_from - t) % self.per_round for t in self.prune_to):
            raise LthError(
                f"{where}.prune_to: iterative pruning removes per_round={self.per_round} units a round from "
                f"{self.prune_from}, so it cannot reach {list(self.prune_to)}"
            )

    def inert(self) -> dict[str, str]:
        inert = {**momentum_inert(self.optimizer), **init_std_inert(self.init)}
        if self.bias_init == "zero":
            inert["bias_scale"] = "with bias_init: zero (it is the constant or std of the other bias inits)"
        if "iterative" not in self.modes:
            inert["per_round"] = "without the iterative mode (the units removed per round of iterative pruning)"
        return inert

    def init_text(self) -> str:
        """The initialisation in words for captions and titles (zero biases go unsaid, as before)."""
        if self.bias_init == "zero":
            return self.init
        return f"{self.init}, biases {self.bias_init} {self.bias_scale:g}"

    def dense_widths(self) -> list[int]:
        """Widths trained from random inits: Table 1's, plus the width that is pruned."""
        return list(dict.fromkeys([*self.widths, self.prune_from]))


KINDS = {"ticket": TicketStudy, "xor": XorStudy}


def study_from_config(
    name: str, cfg: Any, experiments: Mapping[str, Any], sweeps: Collection[str] = ()
) -> TicketStudy | XorStudy:
    """Parse ``studies.<name>``; ``experiments`` (name -> Experiment) resolves a ticket study's
    experiment; ``sweeps`` (their names) must not be reused, since a sweep also writes results/<name>/."""
    where = f"studies.{name}"
    if not isinstance(cfg, Mapping):
        raise LthError(f"{where}: expected a mapping of settings, got {cfg!r}")
    if "kind" not in cfg:
        raise LthError(f"{where}.kind: required (allowed: {', '.join(sorted(KINDS))})")
    _choice(cfg["kind"], KINDS, f"{where}.kind")
    if name in experiments:
        raise LthError(f"{where}: the name is also an experiment's; results/{name}/ would be shared")
    if name in sweeps:
        raise LthError(f"{where}: the name is also a sweep's; results/{name}/ would be shared")
    study = KINDS[cfg["kind"]].from_dict(cfg, where)
    if isinstance(study, TicketStudy) and "experiment" not in cfg:
        raise LthError(f"{where}.experiment: required (the name of an IMP experiment under experiments:)")
    if isinstance(study, TicketStudy) and study.experiment in sweeps:
        raise LthError(
            f"{where}.experiment: '{study.experiment}' is a sweep; name one of its members ('{study.experiment}__…')"
        )
    if isinstance(study, TicketStudy) and study.experiment not in experiments:
        raise LthError(
            f"{where}.experiment: unknown experiment '{study.experiment}' (defined: {', '.join(sorted(experiments))})"
        )
    return study
