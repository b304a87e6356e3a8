"""Sweeps: one experiment of the config expanded into several that differ in one setting.

```yaml
experiments:
  lenet_lr:
    ...                                         # an ordinary experiment, plus:
    sweep: {key: train.lr, values: [6.0e-4, 1.2e-3, 2.4e-3]}
```

stands for the experiments ``lenet_lr__lr_0p0006``, ``lenet_lr__lr_0p0012`` and
``lenet_lr__lr_0p0024``, each a full copy of ``lenet_lr`` with ``train.lr`` replaced, built and
stored like any other experiment (``results/<member>/``); ``results/lenet_lr/`` holds the sweep's
combined table and overlay figures. Listing ``lenet_lr`` in ``run:`` builds all of them.

Member names: ``<base>__<leaf>_<token>``, where ``leaf`` is the last part of the key (``lr``,
``hidden``, ``init_std``, ``train_fraction``) and ``token`` spells the value with letters, digits
and underscores only, so a name is a valid folder, Snakemake wildcard value and schema name:
numbers as Python writes them (``repr``) with ``.`` → ``p``, ``-`` → ``m`` and ``+`` dropped
(0.0006 → ``0p0006``, 1e-05 → ``1em05``, -1 → ``m1``), booleans ``true``/``false``, strings
with any other character replaced by ``_``, lists joined by ``x`` (``[300, 100]`` →
``300x100``). Two values that spell the same name are an error.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any

from lth.errors import LthError
from lth.experiment import KEYS, Experiment
from lth.specs import InstabilitySpec, ModelSpec, PruneSpec, SweepSpec, TrainSpec

SEPARATOR = "__"
NESTED = {"model": ModelSpec, "train": TrainSpec, "prune": PruneSpec, "instability": InstabilitySpec}


@dataclass(frozen=True)
class Sweep:
    """A swept experiment: its name (``base``), the varied key, and one member per value."""

    name: str
    key: str
    values: tuple[Any, ...]
    members: tuple[str, ...]

    def labels(self) -> dict[str, str]:
        """Member name -> the value as figures and tables show it (lists as 300-100)."""
        return {member: value_label(value) for member, value in zip(self.members, self.values)}


def value_label(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(value_label(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, float) else str(value)


def value_token(value: Any, where: str) -> str:
    """The value spelled with [A-Za-z0-9_] only (see the module docstring)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value).replace(".", "p").replace("-", "m").replace("+", "")
    if isinstance(value, str):
        return re.sub(r"[^A-Za-z0-9_]", "_", value) or "_"
    if isinstance(value, (list, tuple)) and value:
        return "x".join(value_token(v, where) for v in value)
    raise LthError(f"{where}: sweep values must be numbers, strings, booleans or lists of them, got {value!r}")


def _check_key(key: str, where: str) -> list[str]:
    parts = key.split(".")
    top = [k for k in KEYS if k != "sweep"]
    if parts[0] not in top:
        raise LthError(f"{where}.key: unknown setting '{parts[0]}' (allowed: {', '.join(sorted(top))})")
    if len(parts) == 1:
        return parts
    spec = NESTED.get(parts[0])
    names = [f.name for f in fields(spec)] if spec else []
    if spec is None or len(parts) != 2 or parts[1] not in names:
        allowed = ", ".join(f"{parts[0]}.{n}" for n in sorted(names)) if spec else f"'{parts[0]}' has no sub-keys"
        raise LthError(f"{where}.key: unknown setting '{key}' ({allowed})")
    return parts


def _with_value(cfg: Mapping[str, Any], parts: list[str], value: Any, where: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(cfg))
    del out["sweep"]
    if len(parts) == 1:
        out[parts[0]] = copy.deepcopy(value)
        return out
    inner = out.get(parts[0]) or {}
    if not isinstance(inner, Mapping):
        raise LthError(f"{where}.{parts[0]}: expected a mapping of settings, got {inner!r}")
    out[parts[0]] = {**inner, parts[1]: copy.deepcopy(value)}
    return out


def expand(experiments: Mapping[str, Any]) -> tuple[dict[str, dict], dict[str, Sweep]]:
    """(configs of the experiments to build, sweeps by name) from the config's ``experiments``.

    Experiments without ``sweep`` pass through unchanged; each swept one is replaced by its
    members, in the order of its values.
    """
    configs: dict[str, dict] = {}
    sweeps: dict[str, Sweep] = {}
    for name, cfg in experiments.items():
        if not isinstance(cfg, Mapping) or "sweep" not in cfg:
            configs[name] = cfg
            continue
        where = f"experiments.{name}.sweep"
        spec = SweepSpec.from_dict(cfg["sweep"], where)
        parts = _check_key(spec.key, where)
        members = []
        for value in spec.values:
            member = f"{name}{SEPARATOR}{parts[-1]}_{value_token(value, f'{where}.values')}"
            if member in members:
                raise LthError(f"{where}.values: two values give the same experiment name '{member}'")
            members.append(member)
            configs[member] = _with_value(cfg, parts, value, f"experiments.{name}")
        sweeps[name] = Sweep(name, spec.key, tuple(spec.values), tuple(members))
    clashes = sorted(set(experiments) & {m for s in sweeps.values() for m in s.members})
    if clashes:
        raise LthError(f"experiments.{clashes[0]}: this name is also a sweep member's; rename the experiment")
    return configs, sweeps


def build(experiments: Mapping[str, Any]) -> tuple[dict[str, Experiment], dict[str, Sweep]]:
    """The config's ``experiments`` as `Experiment`s (sweeps expanded, see `expand`) and the sweeps.

    A sweep two of whose values give the same experiment (say ``1`` and ``1.0`` for ``train.lr``:
    two names, one learning rate) is an error naming the sweep: it would train identical members.
    """
    configs, sweeps = expand(experiments)
    built = {name: Experiment.from_config(name, cfg) for name, cfg in configs.items()}
    for sweep in sweeps.values():
        seen: dict[Experiment, int] = {}
        for i, member in enumerate(sweep.members):
            same = seen.setdefault(dataclasses.replace(built[member], name=""), i)
            if same != i:
                raise LthError(
                    f"experiments.{sweep.name}.sweep: values {sweep.values[same]!r} and {sweep.values[i]!r} of "
                    f"{sweep.key} give the same experiment (members {sweep.members[same]} and {member})"
                )
    return built, sweeps


def resolve_run(
    run: list[str], experiments: Mapping[str, Any], sweeps: Mapping[str, Sweep], studies: Collection[str] = ()
) -> list[str]:
    """The experiments that ``run`` builds: its names, with each sweep replaced by its members.
    Study names (config ``studies:``) are valid entries too; they build their own outputs, so they
    add no experiment here."""
    out: list[str] = []
    for name in run:
        if name in sweeps:
            out += [m for m in sweeps[name].members if m not in out]
        elif name in experiments:
            out += [name] if name not in out else []
        elif name not in studies:
            known = sorted(set(experiments) | set(sweeps) | set(studies))
            raise LthError(f"run: unknown experiment, sweep or study '{name}' (defined: {', '.join(known)})")
    return out
