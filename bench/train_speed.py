#!/usr/bin/env python
"""Training speed of LeNet-300-100 on real MNIST through the real training path.

Times ``lth.training.train`` itself (mask re-applied after every optimiser step, tensor-resident
batches, the optimiser that ``make_optimizer`` picks), not a hand-written loop, for

* Adam, batch 60, lr 1.2e-3 (the LTH paper's LeNet setting) and
* SGD, batch 128, momentum 0.9, lr 0.1,

on real MNIST with ``validation_size=0`` (the training split is the full 60,000 examples), and
prints one plain-text table. Run from anywhere::

    .venv/bin/python bench/train_speed.py            # --device auto, threads = usable cores
    .venv/bin/python bench/train_speed.py --threads 1,2 --repeats 7

Protocol. Per setting and thread count: one warm-up ``train()`` of ``--warmup-iters`` iterations,
then ``--repeats`` full epochs, each a fresh ``train()`` from the same initial weights with
``iterations = 60000 // batch`` and ``eval_every`` larger than that, so ``train()`` evaluates
exactly twice (at iteration 0 and at the end; the validation split is empty, so each evaluation
is one pass over the 10,000 test images). ``lth.training.evaluate`` on the test split is also
timed on its own (``--repeats`` times after a warm-up). Every number reported is the MEDIAN over
the repeats (except the matmul peak, which is the best); the epoch column also shows the fastest
and slowest repeat in brackets.

Columns.

* ``it/s``: training iterations per second, evaluation excluded:
  ``iterations / (train() seconds - 2 * test-evaluation seconds)``.
* ``GFLOP/s``: ``it/s`` times the FLOPs of one training iteration (counted below).
* ``mm GFLOP/s``: the 2048x2048 fp32 matmul rate measured in the same run (the best of the
  repeats, not the median: the device's practical peak).
* ``%mm``: ``GFLOP/s`` as a percentage of ``mm GFLOP/s``.
* ``epoch+1eval s [range]``: one 60K-example epoch plus exactly one test evaluation,
  ``train() seconds - 1 * test-evaluation seconds``; the median, then the fastest and slowest
  repeat (the issue's 1.2 s target applies to this column for SGD at batch 128).
* ``plain s``: the same epoch plus one test evaluation as a bare loop over tensor-resident
  batches (``x[idx]``, same model, optimiser and batch size; no mask, no hooks), median of
  ``--repeats``: the floor the training path is compared with on the same machine in the same run.
* ``xplain``: ``epoch+1eval s`` / ``plain s``.
* ``train() s``: the raw wall time of the ``train()`` call (epoch plus two test evaluations).
* ``eval s``: one ``evaluate`` over the 10,000 test images (batches of 10,000).

FLOP counting (one multiply-add = 2 FLOPs). LeNet-300-100 has
``M = 784*300 + 300*100 + 100*10 = 266,200`` multiply-adds per example in the forward pass.

* forward: ``2 * B * M``;
* backward, weight gradients: ``2 * B * M`` (one GEMM per layer of the same size as the forward);
* backward, input gradients: ``2 * B * (300*100 + 100*10)``; the first layer needs no gradient
  with respect to the images, so its ``784*300`` term is absent;
* total per iteration: ``2 * B * (2*M + 31,000) = 1,126,800 * B`` FLOPs, i.e. 67.6 MFLOP at
  B=60 and 144.2 MFLOP at B=128. Biases, ReLU, softmax/cross-entropy, the optimiser update and
  the mask multiplication (all O(parameters) or O(B * units) element-wise work, under 1% of the
  count) are ignored, and so is the evaluation.

The reference rate is a 2048x2048 fp32 matmul (``2 * 2048**3`` FLOPs) on the same device with the
same thread count, best of ``--repeats`` after a warm-up (in fp32: ``configure_runtime`` turns TF32 off).

The runtime is configured as the ``lth`` command line does (``configure_runtime``: deterministic
algorithms, ``torch.set_num_threads``). The tensor file is prepared into a temporary folder from
``--data-root`` (default: ``../shared/data`` beside the repository) unless ``--data`` names a
prepared file. The script also prints the machine, torch version, thread count and the load
average before and after and how many cores *other* processes kept busy during the timed
``train()`` calls (from /proc/stat), because other processes on a small machine distort the
timings badly: with 2 torch threads on 2 cores, one busy neighbour makes OpenMP threads wait for
each other and epochs took 15-70x longer in runs on the 2-core machine. Rerun when that line warns, or pass
``--idle-wait SECONDS`` (wait for the neighbours to go idle before each timing) and ``--retries N``
(re-time a disturbed measurement up to N times, keeping the least disturbed attempt).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from lth import data, masks, models  # noqa: E402
from lth.device import configure_runtime, resolve_device  # noqa: E402
from lth.errors import LthError  # noqa: E402
from lth.specs import ModelSpec, TrainSpec  # noqa: E402
from lth.training import evaluate, make_optimizer, train  # noqa: E402

TRAIN_EXAMPLES = 60000
MACS = 784 * 300 + 300 * 100 + 100 * 10  # forward multiply-adds per example
INPUT_GRAD_MACS = 300 * 100 + 100 * 10  # the first layer needs no input gradient
SETTINGS = [
    ("adam", 60, dict(optimizer="adam", lr=1.2e-3, batch_size=60)),
    ("sgd", 128, dict(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=128)),
]
TARGET_SECONDS = 1.2  # issue target: SGD batch 128 epoch + one test evaluation on the 2-core CPU
# The same target relative to the machine: the issue set 1.2 s where a plain loop took about 0.8 s.
# The plain loop is timed in the same run, so this bound survives a host that is slower today.
TARGET_RATIO = 1.5


def flops_per_iteration(batch: int) -> int:
    """2 FLOPs per multiply-add: forward, weight gradients, input gradients except layer 1."""
    return 2 * batch * (2 * MACS + INPUT_GRAD_MACS)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {usable_cores()} usable cores"


class CpuWatch:
    """How busy *other* processes keep the CPUs (/proc/stat minus this process; Linux only).

    ``timed(fn)`` waits (up to ``idle_wait`` seconds) for the other processes to go idle, times
    ``fn`` and, when others kept more than ``THRESHOLD`` cores busy meanwhile, times it again (up to
    ``retries`` more times), keeping the least disturbed attempt. It counts what it had to keep.
    """

    THRESHOLD = 0.1  # cores

    def __init__(self, idle_wait: float = 0.0, retries: int = 0) -> None:
        self.idle_wait, self.retries = idle_wait, retries
        self.worst = 0.0  # most cores others used during a kept measurement
        self.disturbed = 0  # kept measurements above THRESHOLD
        self.measurements = 0

    @staticmethod
    def snap() -> tuple[float, int, int] | None:
        try:
            v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
            own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
            return time.perf_counter(), v[0] + v[1] + v[2] + v[5] + v[6], int(own[11]) + int(own[12])
        except (OSError, IndexError, ValueError):
            return None

    @staticmethod
    def others(before, after) -> float:
        if not before or not after or after[0] <= before[0]:
            return 0.0
        busy = (after[1] - before[1]) - (after[2] - before[2])  # clock ticks, all cores, minus ours
        return max(0.0, busy / os.sysconf("SC_CLK_TCK") / (after[0] - before[0]))

    def wait_for_idle(self) -> None:
        deadline = time.perf_counter() + self.idle_wait
        while time.perf_counter() < deadline:
            before = self.snap()
            time.sleep(0.5)
            if self.others(before, self.snap()) < self.THRESHOLD:
                return

    def timed(self, fn) -> float:
        best = None
        for _ in range(1 + self.retries):
            self.wait_for_idle()
            before = self.snap()
            seconds = fn()
            busy = self.others(before, self.snap())
            if best is None or busy < best[1]:
                best = (seconds, busy)
            if busy < self.THRESHOLD:
                break
        self.measurements += 1
        self.worst = max(self.worst, best[1])
        self.disturbed += best[1] >= self.THRESHOLD
        return best[0]


WATCH = CpuWatch()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(device: torch.device, repeats: int, n: int = 2048) -> float:
    """Best rate of an n x n fp32 matmul (2 n^3 FLOPs) after a warm-up."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device)
    b = torch.randn(n, n, generator=g).to(device)
    out = torch.empty(n, n, device=device)
    inner = 20 if device.type == "cuda" else 1
    for _ in range(2):
        torch.mm(a, b, out=out)
    sync(device)

    def once() -> float:
        start = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b, out=out)
        sync(device)
        return (time.perf_counter() - start) / inner

    best = min(WATCH.timed(once) for _ in range(max(repeats, 3)))
    return 2 * n**3 / best / 1e9


def time_eval(model, split, device: torch.device, repeats: int) -> list[float]:
    evaluate(model, split)

    def once() -> float:
        sync(device)
        start = time.perf_counter()
        evaluate(model, split)  # ends in .item(): synchronous
        return time.perf_counter() - start

    return [WATCH.timed(once) for _ in range(repeats)]


def time_train(model, init: dict, mask, splits, spec: TrainSpec) -> float:
    """Wall time of one ``train()`` call from the initial weights (evaluates at start and end)."""

    def once() -> float:
        model.load_state_dict(init)
        sync(splits.train.x.device)
        start = time.perf_counter()
        train(model, mask, splits, spec, order_seed=0)  # evaluations end in .item(): synchronous
        return time.perf_counter() - start

    return WATCH.timed(once)


def time_plain_loop(model, init: dict, splits, batch: int, kwargs: dict) -> float:
    """The floor to compare with: a bare loop over tensor-resident batches (no mask, no hooks,
    no schedule) with the same model, optimiser and batch size, plus one test evaluation."""
    x, y = splits.train.x, splits.train.y
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0)).to(x.device)
    iterations = len(y) // batch

    def once() -> float:
        model.load_state_dict(init)
        spec = TrainSpec(iterations=iterations, **kwargs)
        optimizer = make_optimizer(spec, list(model.parameters()))
        sync(x.device)
        start = time.perf_counter()
        for i in range(iterations):
            idx = order[i * batch : (i + 1) * batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        evaluate(model, splits.test)  # ends in .item(): synchronous
        return time.perf_counter() - start

    return WATCH.timed(once)


def parse_threads(text: str | None) -> list[int]:
    if not text:
        return [usable_cores()]
    try:
        values = [int(t) for t in text.split(",")]
    except ValueError:
        raise SystemExit(f"--threads: expected integers such as 2 or 1,2, got {text!r}") from None
    if any(v <= 0 for v in values):
        raise SystemExit(f"--threads: thread counts must be positive, got {text!r}")
    return values


def prepared_file(args, stack: list) -> Path:
    if args.data:
        return Path(args.data)
    tmp = tempfile.TemporaryDirectory(prefix="lth-bench-")
    stack.append(tmp)
    out = Path(tmp.name) / "mnist.safetensors"
    data.prepare("mnist", args.data_root, out)
    return out


def fmt_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when present, else CPU), cpu or cuda[:N]")
    parser.add_argument(
        "--data-root",
        default=str(REPO.parent / "shared" / "data"),
        help="torchvision MNIST folder (default: ../shared/data beside the repo)",
    )
    parser.add_argument("--data", default=None, help="an already prepared MNIST tensor file (skips preparation)")
    parser.add_argument(
        "--threads", default=None, help="torch CPU threads, or a comma list to compare (default: usable cores)"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repeats per measurement; the median is reported (default 5)"
    )
    parser.add_argument(
        "--warmup-iters", type=int, default=100, help="iterations of the warm-up train() per setting (default 100)"
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=0.0,
        help="before each timing, wait up to this many seconds for other processes to go idle (default 0)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        help="re-time a measurement disturbed by other processes up to this many times (default 0)",
    )
    args = parser.parse_args(argv)
    WATCH.idle_wait, WATCH.retries = max(args.idle_wait, 0.0), max(args.retries, 0)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")

    started = time.perf_counter()
    device = resolve_device(args.device)
    threads = parse_threads(args.threads)
    load_before = loadavg()
    keep: list = []
    path = prepared_file(args, keep)
    splits = data.load_splits(path, validation_size=0, split_seed=0, device=device)
    assert len(splits.train) == TRAIN_EXAMPLES and len(splits.val) == 0, (
        "expected the full 60,000-example MNIST train split"
    )

    spec_model = ModelSpec(name="mlp", hidden=(300, 100))
    model = models.build(spec_model, splits.info.input_shape, splits.info.num_classes)
    models.initialise(model, spec_model, seed=0)
    model.to(device)
    init = copy.deepcopy(model.state_dict())
    mask = masks.full_mask(model)

    rows, summary = [], []
    for n_threads in threads:
        configure_runtime(n_threads)
        peak = matmul_gflops(device, args.repeats)
        model.load_state_dict(init)
        evals = time_eval(model, splits.test, device, args.repeats)
        eval_s = statistics.median(evals)
        for name, batch, kwargs in SETTINGS:
            iterations = TRAIN_EXAMPLES // batch
            spec = TrainSpec(iterations=iterations, eval_every=iterations + 1, **kwargs)
            warm = TrainSpec(iterations=args.warmup_iters, eval_every=args.warmup_iters + 1, **kwargs)
            model.load_state_dict(init)
            train(model, mask, splits, warm, order_seed=0)
            times = [time_train(model, init, mask, splits, spec) for _ in range(args.repeats)]
            med, best, worst = statistics.median(times), min(times), max(times)
            its = iterations / (med - 2 * eval_s)
            gflops = its * flops_per_iteration(batch) / 1e9
            epoch1 = med - eval_s
            plain = statistics.median(time_plain_loop(model, init, splits, batch, kwargs) for _ in range(args.repeats))
            rows.append(
                [
                    f"{name} b{batch}",
                    str(n_threads),
                    str(iterations),
                    f"{its:.0f}",
                    f"{gflops:.1f}",
                    f"{peak:.1f}",
                    f"{100 * gflops / peak:.0f}",
                    f"{epoch1:.3f} [{best - eval_s:.3f}-{worst - eval_s:.3f}]",
                    f"{plain:.3f}",
                    f"{epoch1 / plain:.2f}",
                    f"{med:.3f}",
                    f"{eval_s:.3f}",
                ]
            )
            if name == "sgd" and batch == 128:
                verdict = "meets" if epoch1 <= TARGET_SECONDS else "misses"
                relative = "meets" if epoch1 <= TARGET_RATIO * plain else "misses"
                summary.append(
                    f"threads={n_threads}: SGD b128 epoch + 1 test evaluation = {epoch1:.3f} s (median of {args.repeats}) "
                    f"-> {verdict} the {TARGET_SECONDS} s target (2-core CPU target); "
                    f"{epoch1 / plain:.2f}x the plain loop's {plain:.3f} s -> {relative} the {TARGET_RATIO}x bound"
                )

    header = [
        "setting",
        "threads",
        "iters",
        "it/s",
        "GFLOP/s",
        "mm GFLOP/s",
        "%mm",
        "epoch+1eval s [range]",
        "plain s",
        "xplain",
        "train() s",
        "eval s",
    ]
    print(f"machine : {machine(device)} ({device})")
    print(
        f"torch   : {torch.__version__}   threads: {','.join(map(str, threads))}   python: {platform.python_version()}"
    )
    print(f"data    : MNIST, {len(splits.train)} train / {len(splits.test)} test, validation_size=0")
    print("model   : LeNet-300-100 (mlp 784-300-100-10), full mask re-applied after every step")
    print(
        f"flops   : {flops_per_iteration(60) / 1e6:.1f} MFLOP/iter at b60, {flops_per_iteration(128) / 1e6:.1f} at b128; mm = 2048x2048 fp32 matmul (best)"
    )
    print(f"timing  : median of {args.repeats} repeats after a warm-up; [range] = fastest-slowest repeat")
    print()
    print(fmt_table(header, rows))
    print()
    for line in summary:
        print(line)
    print(
        f"other processes: up to {WATCH.worst:.2f} cores busy during a kept timing; "
        f"{WATCH.disturbed} of {WATCH.measurements} timings disturbed (> {WATCH.THRESHOLD} cores)"
        f"{'  WARNING: rerun on an idle machine (or with --idle-wait/--retries)' if WATCH.disturbed else ''}"
    )
    print(f"load average before/after: {load_before} / {loadavg()}   total {time.perf_counter() - started:.0f} s")
    for tmp in keep:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except LthError as exc:
        raise SystemExit(f"train_speed: {exc}") from None
