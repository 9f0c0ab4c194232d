"""fitwatch in a real torch.distributed job: 2, 3 and 4 CPU processes on the gloo backend
(tests/ddp_worker.py), a DistributedSampler that pads, uneven last batches."""

import json
import math
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
import fitwatch  # noqa: E402

WORKER = Path(__file__).with_name("ddp_worker.py")
N_TRAIN, N_VAL = 1001, 203
LAST_STDERR: list[str] = []  # the ranks' standard error of the latest launch, for failure messages
#: what a rank prints once destroy_process_group() returned (tests/ddp_worker.py)
DESTROYED = "fitwatch-test: process group destroyed"
#: torch 2.13's gloo aborts a process now and then at interpreter exit, after destroy_process_group()
#: returned on every rank: 6 of 60 two-process runs of a plain DDP script without fitwatch (2026-12-06)
EXIT_ABORT = "terminate called without an active exception"


def exit_code(code: int, stderr: str, ranks: int = 1) -> int:
    """A process's exit code, 0 for torch's abort at exit: SIGABRT after ``ranks`` ranks said their
    process group was destroyed (an abort before that, the race finish()'s barrier prevents, counts)."""
    if code in (-6, 134) and EXIT_ABORT in stderr and stderr.count(DESTROYED) >= ranks:
        return 0
    return code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(mode: str, world: int, tmp_path: Path, timeout: float = 120) -> tuple[list[dict], list[int], float]:
    """Start ``world`` ranks of the worker; their results, exit codes and the wall time."""
    env = {**os.environ, "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
           "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(Path(fitwatch.__file__).parents[1]),
                                                                  os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / mode
    t0 = time.monotonic()
    procs = [subprocess.Popen([sys.executable, str(WORKER), mode, str(tmp_path / "store"), str(out)],
                              env={**env, "RANK": str(r)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in range(world)]
    codes = []
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail(f"{mode} on {world} ranks hung for {timeout} s")
        codes.append(p.returncode)
    errors = [p.stderr.read()[-2000:] for p in procs]
    codes = [exit_code(c, e) for c, e in zip(codes, errors)]
    results = []
    for r in range(world):
        f = Path(f"{out}.{r}.json")
        results.append(json.loads(f.read_text()) if f.exists() else None)
    LAST_STDERR[:] = errors
    return results, codes, time.monotonic() - t0


def reference(results: list[dict], epoch: int, split: str, metric: str, drop_padding: dict | None = None) -> float:
    """The single-process sample-weighted mean over the same samples: every rank's logged batches."""
    total = weight = 0.0
    for r in results:
        rows = [x for x in r["logged"] if x[0] == epoch and x[1] == split and x[2] == metric]
        if drop_padding and rows:
            rows = rows[:len(rows) - drop_padding.get(results.index(r), 0)]
        for _, _, _, v, n in rows:
            total += v * n
            weight += n
    return total / weight


@pytest.mark.parametrize("world", [2, 3, 4])
def test_epoch_values_equal_the_single_process_mean_over_every_sample(world, tmp_path):
    results, codes, _ = launch("mean", world, tmp_path)
    assert codes == [0] * world, (codes, [r and r.get("error") for r in results], LAST_STDERR)
    run = fitwatch.load(f"ddp-mean-{world}", dir=tmp_path / "store")
    assert run.epochs.tolist() == [0, 1, 2]
    pad_train = world * math.ceil(N_TRAIN / world) - N_TRAIN
    pad_val = world * math.ceil(N_VAL / world) - N_VAL
    padded_ranks = {r: 1 for r in range(world - pad_val, world)}  # each of them logged one repeated val sample
    for epoch in range(3):
        # train: batch means weighted by their size, padding included (it cannot be taken out of a batch mean)
        assert run.history["loss"][epoch] == pytest.approx(reference(results, epoch, "train", "loss"), rel=1e-12)
        # val: per-sample values, the repeated samples taken out: the mean over the 203 samples (a batch's
        # per-sample tensor is averaged in float32 on its device, as in one process: float rounding)
        assert run.history["val_loss"][epoch] == pytest.approx(
            reference(results, epoch, "val", "loss", drop_padding=padded_ranks), rel=1e-6)
        assert run.history["val_mae"][epoch] == pytest.approx(reference(results, epoch, "val", "mae"), rel=1e-12)
    info = run.info["distributed"]
    assert info["world_size"] == world
    padding = info.get("padding", {})
    if pad_val:  # per-sample values corrected, batch means named
        assert padding["val"] == {"dataset": N_VAL, "padded": pad_val, "corrected": ["loss"],
                                  "counted_twice": ["mae"]}
    if pad_train:
        assert padding["train"] == {"dataset": N_TRAIN, "padded": pad_train, "corrected": [],
                                    "counted_twice": ["loss"]}
    # every rank saw the same epoch values; rank 0 alone wrote, the others never opened a store
    for r in results[1:]:
        assert r["history"] == results[0]["history"]
    assert not any((tmp_path / "store").glob("rank*-must-not-exist"))
    assert [x["name"] for x in fitwatch.runs(tmp_path / "store")] == [f"ddp-mean-{world}"]


def test_every_rank_stops_at_rank_0s_epoch_and_restores_the_same_weights(tmp_path):
    results, codes, _ = launch("stop", 3, tmp_path)
    assert codes == [0, 0, 0], [r and r.get("error") for r in results]
    stopped = {r["stopped"] for r in results}
    best = {r["best"] for r in results}
    assert len(stopped) == 1 and len(best) == 1 and None not in stopped
    (best,) = best
    for r in results:
        assert r["weights"] == r["snapshots"][str(best)] == results[0]["weights"]
        assert r["epoch"] == results[0]["epoch"]
    run = fitwatch.load("ddp-stop-3", dir=tmp_path / "store")
    assert run.status == "stopped" and run.info["early_stopping"]["best_epoch"] == best


def test_a_rank_that_dies_fails_the_others_with_one_line_not_a_hang(tmp_path):
    results, codes, wall = launch("die", 2, tmp_path, timeout=90)
    assert codes[1] == 3 and results[1] is None
    err = results[0]["error"]
    assert err.startswith("DistributedError: fitwatch: run 'ddp-die-2': rank 0 of 2 could not reach the other ranks")
    assert wall < 60
    assert fitwatch.load("ddp-die-2", dir=tmp_path / "store").epochs.tolist() == [0]


def test_ranks_logging_different_metrics_get_a_clear_error(tmp_path):
    results, _, _ = launch("mismatch", 2, tmp_path, timeout=90)
    assert all("logged different splits or metrics" in r["error"] for r in results)


def test_finish_waits_for_rank_0_so_destroy_process_group_after_it_is_safe(tmp_path):
    """Rank 0 writes and diagnoses in finish() while the others would go on to destroy the group and
    exit (gloo then aborted a rank: 'terminate called without an active exception'): they wait."""
    results, codes, _ = launch("teardown", 3, tmp_path)
    assert codes == [0, 0, 0], (codes, LAST_STDERR)
    assert all(r["finish_s"] >= 1.5 for r in results[1:]), [r["finish_s"] for r in results]
    assert results[0]["finish_s"] < 1.5
    assert fitwatch.load("ddp-teardown-3", dir=tmp_path / "store").status == "finished"


def test_the_quick_start_runs_as_written_under_torchrun(tmp_path):
    """docs/distributed.md's script, started with torchrun on two CPU processes."""
    doc = (Path(__file__).parents[1] / "docs" / "distributed.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "train.py").write_text(code + f"import sys; print({DESTROYED!r}, file=sys.stderr, flush=True)\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "FITWATCH_DIR": str(tmp_path / "store"),
           "PYTHONPATH": os.pathsep.join([str(Path(fitwatch.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                        f"--master_port={_free_port()}", "train.py"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=180)
    assert exit_code(p.returncode if p.returncode == 0 or EXIT_ABORT not in p.stderr else -6, p.stderr, ranks=2) == 0, \
        p.stderr[-3000:]
    (run,) = [r for r in fitwatch.runs(tmp_path / "store")]
    data = fitwatch.load("ddp-quickstart", dir=tmp_path / "store")
    assert run["name"] == "ddp-quickstart" and len(data.epochs) >= 3
    assert data.info["distributed"]["padding"]["val"]["corrected"] == ["loss"]  # 199 samples on 2 ranks
    assert data.info["early_stopping"]["restored"] is True


def test_a_rank_that_raises_fails_the_run_with_the_reason_not_killed(tmp_path):
    results, _, _ = launch("raise", 2, tmp_path, timeout=90)
    assert results[1]["error"] == "RuntimeError: boom on rank 1"
    assert results[0]["error"].startswith("DistributedError: ")
    run = fitwatch.load("ddp-raise-2", dir=tmp_path / "store")
    assert run.status == "failed" and run.epochs.tolist() == [0]
    assert run.error.startswith("fitwatch: run 'ddp-raise-2': ")
    assert "a rank that left the loop with an exception" in run.error or "could not reach" in run.error


def test_samples_that_contradict_the_counts_warn_and_correct_nothing(tmp_path):
    results, codes, _ = launch("wrongsamples", 2, tmp_path)
    assert codes == [0, 0], [r and r.get("error") for r in results]
    run = fitwatch.load("ddp-wrongsamples-2", dir=tmp_path / "store")
    assert "val" not in run.info["distributed"].get("padding", {})  # never "corrected" on a wrong length
    assert run.history["val_loss"][0] == pytest.approx(reference(results, 0, "val", "loss"), rel=1e-6)  # as logged
    assert "samples['val'] is 205 but the 2 ranks logged 204 samples of loss" in LAST_STDERR[0]
    assert "check Run(samples=...)" in LAST_STDERR[0] and "samples['val']" not in LAST_STDERR[1]  # rank 0 says it
