"""Real faults for the store: training processes SIGKILLed at random moments, and processes racing
to resume one run. Used by ``tests/test_reliability.py`` (a few rounds) and by
``benchmarks/reliability.py`` (hundreds); each function starts real processes and checks a real
store, nothing is simulated.

Example:
    >>> import tempfile
    >>> kills(tempfile.mkdtemp(), rounds=1, seed=1)["lost"]
    0
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

#: a training loop that says each epoch it ended (the values are a function of the epoch and batch,
#: so the parent can check every stored value), with random batch and epoch lengths
TRAIN = r"""
import random, sys, time, fitwatch
name, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
stop = fitwatch.EarlyStopping(patience=1000) if rng.random() < 0.3 else None
run = fitwatch.Run(name, dir=sys.argv[3], diagnose=False, progress=False)
for epoch in run.epochs(100000, stop=stop):
    for i in range(rng.randint(1, 40)):
        run.log("train", loss=1.0 / (epoch + 1), n=8)
        if rng.random() < 0.1:
            time.sleep(rng.random() * 0.01)
    run.log("val", loss=2.0 / (epoch + 1), n=4)
    if epoch > 0:
        print(f"completed {epoch - 1}", flush=True)  # epoch-1 has ended: the loop moved on
"""


def kills(store_dir, rounds: int, seed: int = 0, timeout: float = 60.0) -> dict:
    """Start a training process ``rounds`` times on one store, SIGKILL each at a random moment
    (0.3 to 2 s after it started logging, so inside ``log``, ``end_epoch``, a commit or a
    checkpoint of the WAL), then check that every epoch it said it completed is in the store with
    its values. Returns counts: ``rounds``, ``epochs`` (completed epochs checked), ``lost`` (of
    those, missing or wrong), ``corrupt`` (stores that would not open or read)."""
    import fitwatch

    rng = random.Random(seed)
    store_dir = str(store_dir)
    out = {"rounds": 0, "epochs": 0, "lost": 0, "corrupt": 0}
    for k in range(rounds):
        name = f"killed-{seed}-{k}"
        child = subprocess.Popen([sys.executable, "-c", TRAIN, name, str(rng.randrange(10**6)), store_dir],
                                 stdout=subprocess.PIPE, text=True)
        completed = -1
        try:
            first = child.stdout.readline()  # it has started logging
            if first.startswith("completed"):
                completed = int(first.split()[1])
            deadline = time.monotonic() + rng.uniform(0.3, 2.0)
            os.set_blocking(child.stdout.fileno(), False)
            while time.monotonic() < deadline:
                line = child.stdout.readline()
                if line.startswith("completed"):
                    completed = int(line.split()[1])
                elif not line:
                    time.sleep(0.001)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=timeout)
            for line in child.stdout.read().splitlines() if child.stdout else []:
                if line.startswith("completed"):  # printed before the kill, read after it
                    completed = int(line.split()[1])
        finally:
            child.kill()
            child.wait()
        out["rounds"] += 1
        out["epochs"] += completed + 1
        try:
            data = fitwatch.load(name, store_dir)
            have = dict(zip(data.epochs.tolist(), data.history.get("val_loss", [])))
            out["lost"] += sum(1 for e in range(completed + 1)
                               if have.get(e) is None or abs(have[e] - 2.0 / (e + 1)) > 1e-12)
        except Exception:  # a store that cannot be read: every epoch of this round counts as lost
            out["corrupt"] += 1
            out["lost"] += completed + 1
    return out


#: one process of a race: wait for the start, try to resume, say whether it may write
RACER = r"""
import json, os, sys, time, fitwatch
name, folder, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.0005)
try:
    run = fitwatch.Run(name, dir=folder, resume=True, diagnose=False, progress=False)
except RuntimeError as e:
    print(json.dumps({"accepted": False, "error": str(e)}), flush=True)
    sys.exit(0)
print(json.dumps({"accepted": True, "epoch": run.epoch}), flush=True)
sys.stdin.readline()  # hold the run until every racer has answered
run.log_epoch(loss=0.1, val_loss=0.2)
run.finish()
"""


def races(store_dir, rounds: int, racers: int = 8) -> dict:
    """``rounds`` times: a finished run of 3 epochs, then ``racers`` processes released at one
    instant (a start time a second ahead, after all have imported fitwatch) each calling
    ``Run(name, resume=True)``. Returns ``rounds``, ``exactly_one`` (rounds where exactly one was
    accepted), ``accepted`` (a list: how many were accepted in each round), ``errors`` (racers
    that failed otherwise) and ``overwritten`` (rounds whose epochs are not the 3 plus one per
    accepted racer: two writers wrote the same epoch)."""
    import fitwatch

    store_dir = str(store_dir)
    out = {"rounds": 0, "exactly_one": 0, "accepted": [], "errors": 0, "overwritten": 0}
    for k in range(rounds):
        name = f"race-{k}"
        with fitwatch.Run(name, dir=store_dir, diagnose=False, progress=False) as run:
            for e in range(3):
                run.log_epoch(loss=1.0 / (e + 1), val_loss=1.2 / (e + 1))
        start = time.time() + 1.5 + 0.1 * racers
        procs = [subprocess.Popen([sys.executable, "-c", RACER, name, store_dir, repr(start)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(racers)]
        answers = []
        for p in procs:
            line = p.stdout.readline()
            try:
                answers.append(json.loads(line))
            except ValueError:
                answers.append({"accepted": False, "error": "no answer"})
                out["errors"] += 1
        for p in procs:
            try:
                p.stdin.write("\n")
                p.stdin.close()
            except OSError:
                pass
            p.wait(timeout=60)
        n = sum(a["accepted"] for a in answers)
        out["errors"] += sum(1 for a in answers if not a["accepted"] and "resumed" not in a["error"]
                             and "still being written" not in a["error"])
        out["rounds"] += 1
        out["accepted"].append(n)
        out["exactly_one"] += n == 1
        data = fitwatch.load(name, store_dir)
        out["overwritten"] += data.epochs.tolist() != list(range(3 + n))  # two writers, one epoch
    return out


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped): for journals and temporary files
    'left by a killed process'."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


if __name__ == "__main__":  # python tests/faults.py: a quick look
    import tempfile

    print(json.dumps(kills(tempfile.mkdtemp(), rounds=5)), json.dumps(races(Path(tempfile.mkdtemp()), rounds=2)))
