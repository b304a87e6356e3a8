"""The names of every figure an experiment or sweep draws, torch-free.

One list per figure job: the plotting functions in ``lth.figures`` write these stems (PNG and PDF)
and the workflow declares them as the jobs' outputs and report entries, so both read them from here
(a stem written but not declared would be lost; one declared but not written fails the job).
"""

FIGURES = ("accuracy", "early_stop", "curves")
INSTABILITY_FIGURES = ("instability_paths", "instability_vs_k", "imp_rewinding_vs_k")
STRUCTURE_FIGURES = ("structure",)
ANATOMY_FIGURES = ("anatomy_init", "anatomy_units", "anatomy_dead")
SWEEP_FIGURES = ("sweep_accuracy", "sweep_early_stop", "sweep_vs_value")
TICKET_FIGURES = ("weights", "pruning", "new_init")  # a ticket study's (lth.studies.figures)
FORMATS = ("png", "pdf")
