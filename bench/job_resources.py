"""Per model: seconds per training iteration, and peak memory of training and of evaluation.

The measurements behind the runtime and memory a job asks its scheduler for (lth/resources.py).
Each model runs in a fresh process (so its peak memory is its own), on random data of its dataset's
shape, with the recipe's batch size, through the real path: `lth.training.train` (the mask
re-applied after every step, augmentation where the recipe has it) and `lth.training.evaluate`.

    python bench/job_resources.py [--device cpu|cuda] [--models mlp,conv2,...] [--eval-batch 10000]

Prints one row per model: seconds per iteration (the mean of --iterations timed steps, after a
one-step warm-up), the process's peak resident memory after training (the data and the model included)
and after one evaluation of --eval-examples examples in batches of --eval-batch, and on a GPU the
peak GPU memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# model: (input shape, batch size, optimizer, augment), as in config.yaml's recipes
RECIPES = {
    "mlp": ((1, 28, 28), 60, "adam", False),
    "conv2": ((3, 32, 32), 60, "adam", False),
    "conv4": ((3, 32, 32), 60, "adam", False),
    "conv6": ((3, 32, 32), 60, "adam", False),
    "resnet20": ((3, 32, 32), 128, "sgd", True),
    "vgg19": ((3, 32, 32), 64, "sgd", True),
}


def measure(model_name: str, device_name: str, iterations: int, eval_examples: int, eval_batch: int) -> dict:
    sys.path.insert(0, str(REPO))
    import torch

    from lth import data, masks, models
    from lth.device import configure_runtime, resolve_device
    from lth.specs import ModelSpec, TrainSpec
    from lth.training import evaluate, train

    configure_runtime(1)
    device = resolve_device(device_name)
    shape, batch, optimizer, augment = RECIPES[model_name]
    g = torch.Generator().manual_seed(0)
    n_train = batch * (iterations + 2)
    x = torch.randn(n_train, *shape, generator=g)
    y = torch.randint(0, 10, (n_train,), generator=g)
    info = data.DatasetInfo("random", shape, 10, (0.0,), (1.0,), 1.0, None)
    tiny = data.Split(x[:batch].to(device), y[:batch].to(device))
    splits = data.Splits(data.Split(x.to(device), y.to(device)), tiny, tiny, info)
    spec_model = ModelSpec(name=model_name)
    model = models.build(spec_model, shape, 10)
    models.initialise(model, spec_model, 0)
    model.to(device)
    mask = masks.full_mask(model)
    times = []
    for budget in (1, iterations):  # a warm-up step, then the timed ones
        spec = TrainSpec(
            optimizer=optimizer, lr=0.01, batch_size=batch, iterations=budget, eval_every=budget + 1, augment=augment
        )
        started = time.perf_counter()
        train(model, mask, splits, spec, order_seed=0)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - started) / budget)
    row = {
        "model": model_name,
        "device": str(device),
        "batch": batch,
        "s_per_iteration": times[-1],
        "train_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    del splits, x, y
    eval_x = torch.randn(eval_examples, *shape, generator=g).to(device)
    started = time.perf_counter()
    evaluate(model, data.Split(eval_x, torch.zeros(eval_examples, dtype=torch.long, device=device)), eval_batch)
    row.update(
        eval_seconds=time.perf_counter() - started,
        eval_batch=eval_batch,
        eval_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    if device.type == "cuda":
        row["gpu_peak_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--models", default=",".join(RECIPES))
    parser.add_argument("--iterations", type=int, default=5, help="timed iterations after one warm-up (default 5)")
    parser.add_argument("--eval-examples", type=int, default=10000)
    parser.add_argument("--eval-batch", type=int, default=10000)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.device, args.iterations, args.eval_examples, args.eval_batch)))
        return
    print(
        f"{'model':9} {'device':7} {'batch':>5} {'s/it':>8} {'train MB':>9} {'eval s':>7} {'eval batch':>10} "
        f"{'eval MB':>8} {'GPU MB':>7}"
    )
    for name in args.models.split(","):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--device",
                args.device,
                "--iterations",
                str(args.iterations),
                "--eval-examples",
                str(args.eval_examples),
                "--eval-batch",
                str(args.eval_batch),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        gpu = f"{r['gpu_peak_mb']:7.0f}" if "gpu_peak_mb" in r else f"{'-':>7}"
        print(
            f"{r['model']:9} {r['device']:7} {r['batch']:5d} {r['s_per_iteration']:8.3f} {r['train_peak_mb']:9.0f} "
            f"{r['eval_seconds']:7.1f} {r['eval_batch']:10d} {r['eval_peak_mb']:8.0f} {gpu}",
            flush=True,
        )


if __name__ == "__main__":
    main()
