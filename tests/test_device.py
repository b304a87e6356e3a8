"""Device choice, GPU claims and runtime settings (lth.device), with the GPU checks faked on a CPU.

No GPU is needed: torch.cuda's answers (available, count, capability, arch list, name) are
monkeypatched, and the environment variables a scheduler sets are set by the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import lth.device
from lth import checkpoint, data, masks, models
from lth.cli import main
from lth.device import claim_gpu, configure_runtime, granted_gpu, kernels_for, precision, resolve_device
from lth.errors import LthError
from lth.specs import ModelSpec, TrainSpec
from lth.training import train

ARCHS = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]  # this torch build's (2.14.1+cu130)


@pytest.fixture
def env(monkeypatch):
    """No GPU variables unless a test sets them."""
    for variable in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def fake_cuda(env, tmp_path):
    """torch.cuda answering as a machine with GPUs (2 by default) of capability 8.0."""
    gpus = {"count": 2, "capability": (8, 0), "name": "NVIDIA A100-SXM4-40GB", "current": []}
    env.setattr(torch.cuda, "is_available", lambda: True)
    env.setattr(torch.cuda, "device_count", lambda: gpus["count"])
    env.setattr(torch.cuda, "get_device_capability", lambda index=None: gpus["capability"])
    env.setattr(torch.cuda, "get_arch_list", lambda: ARCHS)
    env.setattr(torch.cuda, "get_device_name", lambda index=None: gpus["name"])
    env.setattr(torch.cuda, "set_device", gpus["current"].append)
    env.setenv("LTH_GPU_LOCK_DIR", str(tmp_path / "claims"))
    env.setattr(lth.device, "_claims", [])  # this test's claims end with it
    return gpus


@pytest.mark.parametrize(
    "variables, granted",
    [
        ({}, None),
        ({"CUDA_VISIBLE_DEVICES": "0"}, "CUDA_VISIBLE_DEVICES=0"),
        ({"SLURM_JOB_GPUS": "3"}, "SLURM_JOB_GPUS=3"),
        ({"CUDA_VISIBLE_DEVICES": "NoDevFiles"}, None),
        ({"CUDA_VISIBLE_DEVICES": "NoDevFiles", "SLURM_JOB_GPUS": "1"}, "SLURM_JOB_GPUS=1"),
        ({"CUDA_VISIBLE_DEVICES": "-1", "SLURM_JOB_GPUS": "1"}, None),  # hidden on purpose: wins
        ({"CUDA_VISIBLE_DEVICES": "", "SLURM_JOB_GPUS": "1"}, None),
        ({"SLURM_JOB_GPUS": ""}, None),
    ],
)
def test_granted_gpu_reads_the_scheduler_variables(env, variables, granted):
    for variable, value in variables.items():
        env.setenv(variable, value)
    assert granted_gpu() == granted


def test_auto_without_cuda_and_without_a_gpu_granted_is_the_cpu(env):
    assert not torch.cuda.is_available()  # this machine; the GPU paths below are faked
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("variable", ["CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS"])
@pytest.mark.parametrize("device", ["auto", "cuda", "cuda:0"])
def test_a_granted_gpu_that_cuda_cannot_use_is_an_error_not_a_cpu_run(env, variable, device):
    env.setenv(variable, "0")
    with pytest.raises(
        LthError,
        match=rf"device '{device}': this job was given a GPU \({variable}=0\) but torch "
        r"cannot use CUDA .*NVIDIA driver.*use device: cpu",
    ):
        resolve_device(device)
    assert resolve_device("cpu") == torch.device("cpu")  # asking for the CPU is always fine


def test_cuda_without_cuda_is_an_error(env):
    with pytest.raises(LthError, match=r"device 'cuda' requested but no CUDA device is available"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "cuda:", "tpu", "CPU"])
def test_unknown_device_names_the_value(env, name):
    with pytest.raises(LthError, match=rf"unknown device '{name}' \(allowed: auto, cpu, cuda, cuda:N\)"):
        resolve_device(name)


@pytest.mark.parametrize(
    "capability, supported",
    [
        ((7, 0), False),  # V100: older than the build's oldest kernels
        ((6, 0), False),  # P100
        ((7, 5), True),
        ((8, 0), True),
        ((8, 9), True),  # Ada runs the sm_86 kernels (same major version, higher minor)
        ((9, 0), True),
        ((12, 1), True),
        ((11, 0), False),  # no sm_11x kernels and no PTX
    ],
)
def test_kernels_for_follows_cuda_binary_compatibility(capability, supported):
    assert kernels_for(capability, ARCHS) is supported


def test_kernels_for_accepts_ptx_for_newer_gpus():
    assert kernels_for((11, 0), ["sm_80", "compute_90"])
    assert not kernels_for((8, 6), ["compute_90"])


def test_gpu_without_kernels_in_this_build_fails_naming_it(fake_cuda):
    fake_cuda.update(count=1, capability=(7, 0), name="Tesla V100-SXM2-16GB")
    with pytest.raises(
        LthError,
        match=r"GPU 'Tesla V100-SXM2-16GB' \(sm_70\) is not supported by this torch build "
        r"\(torch .* has kernels for sm_75, sm_80, .*\); use device: cpu or a torch "
        r"build for sm_70",
    ):
        resolve_device("auto")


def test_cuda_index_beyond_the_visible_gpus_names_the_device(fake_cuda):
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(LthError, match=r"device 'cuda:2': no such GPU, 2 visible \(cuda:0 to cuda:1\)"):
        resolve_device("cuda:2")


def test_one_visible_gpu_is_cuda_0_without_a_claim(fake_cuda, tmp_path):
    fake_cuda["count"] = 1
    assert resolve_device("cuda") == torch.device("cuda", 0)
    assert resolve_device("auto") == torch.device("cuda", 0)
    assert not (tmp_path / "claims").exists()  # SLURM's one GPU per job: nothing to share
    assert fake_cuda["current"] == [0, 0]


def test_jobs_on_several_gpus_each_claim_the_least_used(fake_cuda):
    """Four jobs on two GPUs: the first two get a GPU each, the next two share them evenly."""
    devices = [resolve_device(name) for name in ("cuda", "auto", "cuda", "auto")]
    assert [d.index for d in devices] == [0, 1, 0, 1]
    assert fake_cuda["current"] == [0, 1, 0, 1]


def test_claims_follow_cuda_visible_devices_names(fake_cuda, env, tmp_path):
    """Lock files carry the physical GPU (CUDA_VISIBLE_DEVICES' entry), so jobs that see
    different subsets of the GPUs still agree on which one is taken."""
    env.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert resolve_device("cuda").index == 0
    assert sorted(p.name for p in (tmp_path / "claims").iterdir()) == ["gpu-2.slot0.lock"]


def test_a_claim_is_held_by_another_process_until_it_exits(tmp_path):
    """Another process (another job) holding GPU 0 sends this one to GPU 1; once it exits, GPU 0
    is free again."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from lth.device import claim_gpu; "
            f"index, _ = claim_gpu(['0', '1'], Path({str(tmp_path)!r})); print(index, flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "0"
        index, handle = claim_gpu(["0", "1"], tmp_path)
        assert index == 1
        handle.close()
    finally:
        holder.communicate("", timeout=60)
    index, handle = claim_gpu(["0", "1"], tmp_path)
    assert index == 0
    handle.close()


def test_cli_error_is_one_line_with_status_2(env, capsys):
    env.setenv("CUDA_VISIBLE_DEVICES", "0")
    status = main(["evaluate", "--weights", "w.safetensors", "--data", "d.safetensors", "--device", "auto"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert err.startswith("lth evaluate: error: device 'auto': this job was given a GPU (CUDA_VISIBLE_DEVICES=0)")


@pytest.fixture
def runtime_restored():
    """configure_runtime changes process-wide torch settings: put them back after the test."""
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.utils.deterministic.fill_uninitialized_memory,
        torch.backends.cuda.matmul.fp32_precision,
        torch.backends.cudnn.conv.fp32_precision,
    )
    yield
    torch._C._set_deterministic_algorithms(saved[0], warn_only=saved[1])
    torch.utils.deterministic.fill_uninitialized_memory = saved[2]
    torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.conv.fp32_precision = saved[3:]


def test_configure_runtime_turns_on_deterministic_kernels_warn_only_without_the_nan_fill(runtime_restored):
    torch.utils.deterministic.fill_uninitialized_memory = True
    configure_runtime(None)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory is False


@pytest.mark.parametrize("setting, torch_name", [("fp32", "ieee"), ("tf32", "tf32")])
def test_configure_runtime_sets_the_gpu_precision(runtime_restored, setting, torch_name):
    configure_runtime(None, setting)
    assert torch.backends.cuda.matmul.fp32_precision == torch_name
    assert torch.backends.cudnn.conv.fp32_precision == torch_name
    assert precision() == setting


def test_configure_runtime_rejects_an_unknown_precision(runtime_restored):
    with pytest.raises(LthError, match=r"precision: unknown value 'bf16' \(allowed: fp32, tf32\)"):
        configure_runtime(None, "bf16")


def test_training_without_the_nan_fill_gives_the_same_weights(runtime_restored):
    """No op reads memory it did not write: the fill changes time, never results."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(96, 1, 6, 6, generator=g), torch.randint(0, 3, (96,), generator=g)
    info = data.DatasetInfo("toy", (1, 6, 6), 3, (0.0,), (1.0,), 1.0, None)
    splits = data.Splits(data.Split(x, y), data.Split(x[:8], y[:8]), data.Split(x[:8], y[:8]), info)
    spec = TrainSpec(iterations=6, batch_size=16, eval_every=3, augment=True)
    model_spec = ModelSpec(name="conv2", hidden=(8,))
    results = []
    configure_runtime(None)
    for fill in (True, False):
        torch.utils.deterministic.fill_uninitialized_memory = fill
        net = models.build(model_spec, (1, 6, 6), 3)
        models.initialise(net, model_spec, 0)
        results.append(train(net, masks.full_mask(net), splits, spec, order_seed=1))
    assert all(torch.equal(results[0].weights[k], results[1].weights[k]) for k in results[0].weights)
    assert results[0].metrics.equals(results[1].metrics)


def test_environment_records_precision_and_the_gpu(fake_cuda, runtime_restored):
    configure_runtime(None, "tf32")
    cpu = checkpoint.environment("cpu")
    assert cpu["device"] == "cpu" and cpu["precision"] == "tf32" and "cuda" not in cpu
    gpu = checkpoint.environment("cuda:1")
    assert gpu["device"] == "cuda:1" and gpu["precision"] == "tf32"
    assert gpu["device_name"] == "NVIDIA A100-SXM4-40GB" and gpu["device_capability"] == "sm_80"
    assert gpu["cuda"] == torch.version.cuda and gpu["cudnn"] == torch.backends.cudnn.version()
