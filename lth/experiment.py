"""One experiment of the config: typed, validated, with its seeds.

The pipeline (workflow/rules/common.smk) turns each entry of ``experiments:`` into an
`Experiment`, so every default and check lives here, testable without Snakemake, and each job
gets only the canonical slice it depends on (``params``), which keeps re-runs incremental.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from lth.errors import LthError
from lth.seeds import derive_seed
from lth.specs import DataSpec, InstabilitySpec, ModelSpec, PruneSpec, TrainSpec, _check_type, parse_mapping
from lth.variants import ABLATIONS, CONTROLS

KEYS = (
    "dataset",
    "validation_size",
    "split_seed",
    "model",
    "train",
    "prune",
    "rewind_iteration",
    "trials",
    "controls",
    "shuffle_output",
    "seed",
    "instability",
    "ablations",
    "clamp",
    "train_fraction",
    "sweep",
)


@dataclass(frozen=True)
class Experiment:
    name: str
    data: DataSpec
    model: ModelSpec
    train: TrainSpec
    prune: PruneSpec
    rewind_iteration: int = 0
    trials: int = 1
    controls: tuple[str, ...] = ()
    # The shuffle control moves the hidden and convolutional layers' connections; the output
    # layer keeps the ticket's, as in LTH control 2, unless this is set.
    shuffle_output: bool = False
    seed: int = 0
    instability: InstabilitySpec | None = None
    ablations: tuple[str, ...] = ()
    clamp: float = 1.0

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> Experiment:
        where = f"experiments.{name}"
        if not isinstance(cfg, Mapping):
            raise LthError(f"{where}: expected a mapping of settings, got {cfg!r}")
        unknown = sorted(set(cfg) - set(KEYS))
        if unknown:
            raise LthError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(KEYS))})")
        if "sweep" in cfg:
            raise LthError(
                f"{where}.sweep: a sweep stands for several experiments; expand it with lth.sweeps.expand first"
            )
        data = DataSpec.from_dict({f.name: cfg[f.name] for f in fields(DataSpec) if f.name in cfg}, where)
        controls = _check_type(cfg.get("controls", ()), tuple[str, ...], f"{where}.controls")
        for control in controls:
            if control not in CONTROLS:
                raise LthError(f"{where}.controls: unknown control '{control}' (allowed: {', '.join(CONTROLS)})")
        shuffle_output = _check_type(cfg.get("shuffle_output", False), bool, f"{where}.shuffle_output")
        if shuffle_output and "shuffle" not in controls:
            raise LthError(f"{where}.shuffle_output: has no effect without the shuffle control in {where}.controls")
        ablations = _check_type(cfg.get("ablations", ()), tuple[str, ...], f"{where}.ablations")
        for ablation in ablations:
            if ablation not in ABLATIONS:
                raise LthError(f"{where}.ablations: unknown ablation '{ablation}' (allowed: {', '.join(ABLATIONS)})")
        if len(set(ablations)) != len(ablations):
            raise LthError(f"{where}.ablations: each ablation at most once, got {list(ablations)}")
        clamp = cfg.get("clamp", 1.0)
        if isinstance(clamp, bool) or not isinstance(clamp, (int, float)) or clamp <= 0:
            raise LthError(f"{where}.clamp: expected a positive number (units of the layer's init std), got {clamp!r}")
        exp = cls(
            name=name,
            data=data,
            model=ModelSpec.from_dict(cfg.get("model"), f"{where}.model"),
            train=TrainSpec.from_dict(cfg.get("train"), f"{where}.train"),
            prune=PruneSpec.from_dict(cfg.get("prune"), f"{where}.prune"),
            rewind_iteration=_check_type(cfg.get("rewind_iteration", 0), int, f"{where}.rewind_iteration"),
            trials=_check_type(cfg.get("trials", 1), int, f"{where}.trials"),
            controls=controls,
            shuffle_output=shuffle_output,
            seed=_check_type(cfg.get("seed", 0), int, f"{where}.seed"),
            instability=(
                InstabilitySpec.from_dict(cfg["instability"], f"{where}.instability") if "instability" in cfg else None
            ),
            ablations=ablations,
            clamp=float(clamp),
        )
        if not 0 <= exp.rewind_iteration < exp.train.iterations:
            raise LthError(
                f"{where}.rewind_iteration: {exp.rewind_iteration} must be in [0, train.iterations={exp.train.iterations})"
            )
        if exp.trials < 1:
            raise LthError(f"{where}.trials: must be at least 1, got {exp.trials}")
        if exp.instability:
            for k in exp.instability.rewind_iterations:
                if k >= exp.train.iterations:
                    raise LthError(
                        f"{where}.instability.rewind_iterations: {k} is not below train.iterations={exp.train.iterations}"
                    )
            for r in exp.instability.rounds:
                if r > exp.prune.rounds:
                    raise LthError(f"{where}.instability.rounds: round {r} is beyond prune.rounds={exp.prune.rounds}")
        _check_effective(exp, cfg, where)
        return exp

    # Seeds: one per purpose, derived from (experiment seed, trial, purpose). The data order is the
    # same for every round and variant of a trial, so a ticket and its controls differ only in
    # their start state, and late rewinding continues round 0's order from iteration k (the dropout
    # stream restarts at k instead: lth.training).
    def init_seed(self, trial: int) -> int:
        return derive_seed(self.seed, "trial", trial, "init")

    def order_seed(self, trial: int) -> int:
        return derive_seed(self.seed, "trial", trial, "order")

    def control_seed(self, trial: int, round_: int, kind: str) -> int:
        return derive_seed(self.seed, "trial", trial, "round", round_, "control", kind)

    def instability_seed(self, trial: int, round_: int, k: int, copy: str) -> int:
        return derive_seed(self.seed, "trial", trial, "instability", round_, k, copy)

    def tie_seed(self, trial: int, round_: int, family: str) -> int:
        """Random tie order of a prune (clamped training leaves many equal magnitudes)."""
        return derive_seed(self.seed, "trial", trial, "round", round_, "ablation", family, "ties")

    def summary_columns(self) -> dict[str, float]:
        """Settings the summary shows on every row: the per-round pruning rate (derived when
        ``prune.target_remaining`` is given, with the target beside it) and the training fraction."""
        columns = {"prune_rate": self.prune.rate}
        if self.prune.target_remaining is not None:
            columns["prune_target_remaining"] = self.prune.target_remaining
        columns["train_fraction"] = self.data.train_fraction
        return columns

    @property
    def ticket_mask(self) -> str:
        """Which mask family the ticket uses: 'iterative' (IMP) or 'oneshot'."""
        return "oneshot" if self.prune.mode == "oneshot" else "iterative"

    def variants(self, round_: int) -> list[str]:
        """Networks trained at a round: the ticket, plus the controls (and the one-shot ticket
        when ``prune.mode`` is 'both') and the ablations from round 1 on. The clamped ablation
        also trains its own dense network at round 0 (the others start from the ticket's)."""
        if round_ == 0:
            return ["ticket", *(["clamped"] if "clamped" in self.ablations else [])]
        return ["ticket", *self.controls, *(["oneshot"] if self.prune.mode == "both" else []), *self.ablations]


def _check_effective(exp: Experiment, cfg: Mapping[str, Any], where: str) -> None:
    """Settings given in ``cfg`` that have no effect on ``exp`` because of another section are an
    error naming the key, as those within one section are (`lth.specs.Spec.inert`): a config
    (or a sweep over the key) would otherwise train the same networks as without it."""

    def inert(key: str, reason: str) -> LthError:
        return LthError(f"{where}.{key}: has no effect {reason}; remove it")

    prune = parse_mapping(cfg.get("prune"), f"{where}.prune")
    kinds = exp.model.layer_kinds()
    if "conv_rate" in prune and "conv" not in kinds:
        raise inert("prune.conv_rate", f"with model '{exp.model.name}' (it has no convolutional layers)")
    for kind in exp.prune.exclude:
        if kind not in kinds:
            raise inert("prune.exclude", f"for '{kind}' with model '{exp.model.name}' (it has no {kind} layers)")
    if "clamp" in cfg and "clamped" not in exp.ablations:
        raise inert("clamp", "without the clamped ablation (ablations: [clamped])")
    if exp.prune.rounds == 0:
        if exp.controls:
            raise inert("controls", "with prune.rounds: 0 (controls are trained from round 1 on)")
        for ablation in exp.ablations:
            if ablation != "clamped":  # clamped also trains its own dense network at round 0
                raise inert("ablations", f"for '{ablation}' with prune.rounds: 0 (it is trained from round 1 on)")
