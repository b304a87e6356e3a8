"""The SLURM profile on a real (one-node, local) SLURM cluster: tests/slurm/run_local_cluster.sh.

The script installs Debian's slurm-wlm and munge when missing, starts its own munged, slurmctld and
slurmd, runs a small smoke config through `--workflow-profile profiles/slurm` and checks it against
a local run, and runs it again with device: auto on the cluster's fake GPUs to check the GPU requests
and that a GPU CUDA cannot use is refused (see the script's header). This test is how CI runs it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "slurm" / "run_local_cluster.sh"

pytestmark = [pytest.mark.pipeline, pytest.mark.slurm]


def test_smoke_pipeline_runs_through_slurm(real_data_root):
    if os.geteuid() != 0:
        pytest.skip("needs root: slurmd starts jobs as their users (and slurm-wlm, munge come from apt-get)")
    env = {
        **os.environ,
        "LTH_DATA_ROOT": str(real_data_root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    # The script bounds each of its waits (each Snakemake run by LTH_SLURM_TIMEOUT, 1800 s by
    # default); this outer bound is a backstop. On expiry the script gets SIGTERM, on which its trap
    # cancels the jobs and stops its daemons; if even that hangs, its process group gets SIGKILL.
    proc = subprocess.Popen(
        ["bash", str(SCRIPT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=4500)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            output, _ = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        pytest.fail(f"run_local_cluster.sh did not finish within 75 minutes:\n{output[-6000:]}")
    assert proc.returncode == 0, output[-6000:]
    # device: cpu: every job completed, none with a GPU; the outputs equal the local run's
    jobs, gpu_jobs = map(
        int, re.search(r"slurm jobs \(device: cpu\): (\d+) completed, (\d+) with --gpus=1", output).groups()
    )
    assert jobs > 0 and gpu_jobs == 0  # (the script checks the jobs against those Snakemake planned)
    assert "equal the local run's" in output
    # device: auto on fake GPUs: the first training jobs (train_dense, spawn) got a GPU each and refused it
    submitted, gpu_jobs, refused = map(
        int,
        re.search(
            r"slurm jobs \(device: auto\): (\d+) submitted, (\d+) with --gpus=1 .*, (\d+) refused", output
        ).groups(),
    )
    assert submitted >= gpu_jobs >= 1 and refused == gpu_jobs  # every job given a (fake) GPU refused it
