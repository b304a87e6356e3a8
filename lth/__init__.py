"""lth: reproducible Lottery Ticket Hypothesis experiments.

The package holds all the science (data, models, masks, training, analyses); the Snakemake
pipeline only wires its command-line interface (`lth.cli`) into a DAG.
"""

__version__ = "0.1.0"
