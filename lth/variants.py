"""Every kind of network an experiment trains at a round, in one table (no torch: the workflow
reads it while parsing).

Everything that lists variants derives from `VARIANTS`: the config's allowed controls and
ablations (`lth.experiment`), the `lth control --kind` choices (`lth.controls`), the Snakemake
wildcard patterns (workflow/rules/common.smk), the summary's row order (`lth.summary`) and the
figures' line styles and order (`lth.figures`). The config schema keeps its own copy of the names
(it is YAML), which tests/test_variants.py checks against this table.

A variant's role says how its start state is made:
ticket: the mask of a pruning chain rewound to θ_k (the iterative IMP ticket, or the one-shot one);
control: a transformed copy of the ticket's start (the functions in `lth.controls`);
ablation: its own chain of masks (mask_<name> files) trained a different way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("ticket", "control", "ablation")


@dataclass(frozen=True)
class Variant:
    name: str
    role: str
    label: str  # legend text of the figures
    style: dict = field(default_factory=dict)  # matplotlib line style of the figures
    # The mask chain the variant's start uses ('iterative' for the IMP ticket), for those that
    # prune their own masks (tickets and ablations); None for the controls, which take the ticket's.
    family: str | None = None
    # Whether its start is its own mask over θ_k (lth rewind); the fine-tuned ablation continues
    # from the trained weights instead, and controls have their own start (lth control).
    rewound: bool = False


# Display order: summary rows, figure lines and legends follow this order.
VARIANTS = (
    Variant(
        "ticket",
        "ticket",
        "winning ticket (rewind)",
        dict(color="tab:blue", marker="o"),
        family="iterative",
        rewound=True,
    ),
    Variant(
        "oneshot",
        "ticket",
        "one-shot ticket",
        dict(color="tab:purple", marker="D", linestyle="-"),
        family="oneshot",
        rewound=True,
    ),
    Variant("reinit", "control", "random reinit", dict(color="tab:orange", marker="s", linestyle="--")),
    Variant("shuffle", "control", "shuffled ticket", dict(color="tab:green", marker="^", linestyle="-.")),
    Variant("random", "control", "random pruning", dict(color="tab:red", marker="v", linestyle=":")),
    # finetune: prune, then keep training the trained weights (no rewind; Han et al. 2015).
    Variant(
        "finetune",
        "ablation",
        "fine-tuned, no rewind",
        dict(color="tab:brown", marker="P", linestyle="-"),
        family="finetune",
    ),
    # inverse: prune the largest magnitudes instead of the smallest.
    Variant(
        "inverse",
        "ablation",
        "inverse pruning",
        dict(color="tab:pink", marker="X", linestyle="--"),
        family="inverse",
        rewound=True,
    ),
    # clamped: train with |w| clipped to `clamp` × the layer's init std, then prune by magnitude.
    Variant(
        "clamped",
        "ablation",
        "clamped training",
        dict(color="tab:olive", marker="h", linestyle="-."),
        family="clamped",
        rewound=True,
    ),
)
BY_NAME = {v.name: v for v in VARIANTS}
ORDER = tuple(BY_NAME)


def names(role: str) -> tuple[str, ...]:
    """The variants of a role, in display order."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (roles: {', '.join(ROLES)})")
    return tuple(v.name for v in VARIANTS if v.role == role)


CONTROLS = names("control")
ABLATIONS = names("ablation")
# Mask chains pruned by `lth prune` (the ticket's is 'iterative') and the variants whose start is
# their own mask rewound to θ_k: the values of the workflow's {family} and {rewound} wildcards.
FAMILIES = tuple(v.family for v in VARIANTS if v.family)
REWOUND = tuple(v.name for v in VARIANTS if v.rewound)
# Figure style of each variant: its line style and legend label.
STYLE = {v.name: {**v.style, "label": v.label} for v in VARIANTS}
