# What the figure and report rules of every stage share: figure titles, the settings stated in
# report captions, and the figure files a rule writes and marks for the report.

# snakemake_io.report: a line that opens with `report(` would be read as the report directive
from snakemake import io as snakemake_io

from lth.figure_names import (
    ANATOMY_FIGURES,
    FIGURES,
    FORMATS,
    INSTABILITY_FIGURES,
    STRUCTURE_FIGURES,
    SWEEP_FIGURES,
    TICKET_FIGURES,
)


def figure_title(exp):
    model = exp.model.name
    if exp.model.hidden is not None:
        model += " " + "-".join(str(h) for h in exp.model.hidden)
    data = (
        ""
        if exp.data.train_fraction == 1
        else f" ({exp.data.train_fraction:g} of train)"
    )
    return (
        f"{exp.name}: {model} on {exp.data.dataset}{data}, "
        f"{exp.train.optimizer} lr {exp.train.lr:g}, {exp.train.iterations} it, "
        f"{exp.prune.strategy} {exp.prune.rate:.3g}/round, {exp.trials} trial(s)"
    )


def report_settings(exp, omit=()):
    """The experiment's settings for report captions ({{ snakemake.params.settings }}), one phrase
    per section. `omit` drops what a rule's outputs do not depend on ("controls", "instability",
    "ablations", "prune.rounds"), so stating the settings never re-runs a job that an edit did not
    touch.
    """
    sections = {
        "data": exp.data.to_dict(),
        "model": exp.model.to_dict(),
        "train": exp.train.to_dict(),
        "prune": exp.prune.to_dict(),
        "rewind_iteration": exp.rewind_iteration,
        "trials": exp.trials,
        "seed": exp.seed,
        "controls": ", ".join(
            "shuffle (output layer too)" if c == "shuffle" and exp.shuffle_output else c
            for c in exp.controls
        )
        or "none",
        "instability": exp.instability.to_dict() if exp.instability else "none",
    }
    if exp.ablations:
        sections["ablations"] = ", ".join(
            f"clamped (clamp {exp.clamp:g})" if a == "clamped" else a
            for a in exp.ablations
        )
    for path in omit:
        section, _, key = path.partition(".")
        if not key:
            sections.pop(section, None)
        elif isinstance(
            sections.get(section), dict
        ):  # not when omitted whole or "none"
            sections[section].pop(key, None)
    return {
        name: (
            ", ".join(f"{k} {v}" for k, v in sorted(value.items()) if v is not None)
            if isinstance(value, dict)
            else str(value)
        )
        for name, value in sections.items()
    }


def figure_files(prefix, names):
    """The PNG and PDF of each figure stem in ``names`` under ``prefix`` (a folder)."""
    return [f"{prefix}/{name}.{ext}" for name in names for ext in FORMATS]


def figure_outputs(wildcard, figures, subcategory):
    """A figure rule's outputs: the PNG of each of ``figures`` in results/{<wildcard>}/figures,
    marked for the report under that experiment (or study, or sweep) with its own caption
    (workflow/report/figures/<figure>.rst: a caption describes its figure, not its group), and
    the PDF beside it."""
    folder = f"results/{{{wildcard}}}/figures"
    return dict(
        png=[
            snakemake_io.report(
                f"{folder}/{fig}.png",
                caption=f"../report/figures/{fig}.rst",
                category=f"{{{wildcard}}}",
                subcategory=subcategory,
            )
            for fig in figures
        ],
        pdf=[f"{folder}/{fig}.pdf" for fig in figures],
    )
