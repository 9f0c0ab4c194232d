"""What recording a Lightning fit costs: fitwatch.lightning.Logger against Lightning's CSVLogger and
TensorBoardLogger, per logged step, in one process.

Run from the repository root (needs the ``lightning`` extra and ``tensorboard``, both in ``dev``):

    .venv/bin/python benchmarks/lightning_overhead.py            # about 2 minutes on 2 CPUs
    .venv/bin/python benchmarks/lightning_overhead.py --quick    # a smoke test, noisy numbers

The fit: scikit-learn's digits (1437 training, 360 validation samples, standardised), an MLP
64-128-128-10, Adam, batch 16, 4 epochs; ``training_step`` logs ``train_loss`` and ``train_acc``
with ``on_step=True, on_epoch=True``, ``validation_step`` logs ``val_loss`` and ``val_acc``;
``log_every_n_steps=1`` so that every one of the 90 training steps an epoch reaches the logger (the
worst case for a logger). No progress bar, checkpoint or model summary.

Variants, each a fresh Trainer and the same seeded model, run in rounds, each round in a random
order (machine noise hits all alike): no logger (``logger=False``: the baseline, Lightning still
aggregates ``self.log``), ``CSVLogger``, ``TensorBoardLogger``, ``fitwatch.lightning.Logger``
(``diagnose="quiet"``: the diagnosis is computed and stored at the end, not printed). Two numbers
per logger, medians over rounds:

- **wall overhead per step**: (the fit's wall time - the same round's no-logger fit) / training steps,
  everything the logger does included (its writer thread, its end-of-fit work);
- **time inside the logger per step**: the wall time spent in the logger's methods (``log_metrics``,
  ``log_hyperparams``, ``log_graph``, ``save``, ``finalize``, and fitwatch's epoch hooks), the less
  noisy of the two.

Target (issue 15): fitwatch's per-step cost is lower than both of Lightning's loggers'. The script
exits with 0 when it is, on the in-logger time, and 1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch

perf = time.perf_counter


def data(batch_size: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    mean, std = x_tr.mean(0), x_tr.std(0) + 1e-6
    sets = []
    for xs, ys, shuffle in ((x_tr, y_tr, True), (x_va, y_va, False)):
        ds = torch.utils.data.TensorDataset(torch.tensor((xs - mean) / std, dtype=torch.float32),
                                            torch.tensor(ys, dtype=torch.long))
        sets.append(torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=shuffle,
                                                generator=torch.Generator().manual_seed(0) if shuffle else None))
    return sets


def module_class():
    import lightning.pytorch as pl

    class DigitsMLP(pl.LightningModule):
        def __init__(self, lr=1e-3):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                                           torch.nn.ReLU(), torch.nn.Linear(128, 10))

        def _step(self, batch, split):
            x, y = batch
            out = self.net(x)
            loss = torch.nn.functional.cross_entropy(out, y)
            on_step = split == "train"
            self.log(f"{split}_loss", loss, on_step=on_step, on_epoch=True)
            self.log(f"{split}_acc", (out.argmax(1) == y).float().mean(), on_step=on_step, on_epoch=True)
            return loss

        def training_step(self, batch, batch_idx):
            return self._step(batch, "train")

        def validation_step(self, batch, batch_idx):
            self._step(batch, "val")

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)

    return DigitsMLP


TIMED = ("log_metrics", "log_hyperparams", "log_graph", "save", "finalize", "_epoch_begins", "_epoch_ends",
         "after_save_checkpoint")


def time_methods(logger, box: list) -> None:
    """Wrap the logger's methods (on the instance) so that the wall time spent inside them adds up in box[0]."""
    for name in TIMED:
        method = getattr(logger, name, None)
        if method is None:
            continue

        @functools.wraps(method)
        def timed(*args, __method=method, **kwargs):
            t = perf()
            try:
                return __method(*args, **kwargs)
            finally:
                box[0] += perf() - t

        setattr(logger, name, timed)


def make_logger(kind: str, folder: str, i: int):
    import lightning.pytorch as pl

    import fitwatch.lightning

    if kind == "none":
        return False
    if kind == "csv":
        return pl.loggers.CSVLogger(folder, name=f"csv{i}")
    if kind == "tensorboard":
        return pl.loggers.TensorBoardLogger(folder, name=f"tb{i}")
    if kind == "fitwatch":
        return fitwatch.lightning.Logger(f"fw{i}", dir=os.path.join(folder, "fitwatch"), diagnose="quiet")
    raise ValueError(kind)


def fit_once(kind: str, folder: str, i: int, loaders, epochs: int) -> tuple[float, float, int]:
    import lightning.pytorch as pl

    torch.manual_seed(0)
    model = module_class()()
    logger = make_logger(kind, folder, i)
    inside = [0.0]
    if logger is not False:
        time_methods(logger, inside)
    trainer = pl.Trainer(max_epochs=epochs, logger=logger, log_every_n_steps=1, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         accelerator="cpu", devices=1)
    t = perf()
    trainer.fit(model, loaders[0], loaders[1])
    wall = perf() - t
    return wall, inside[0], int(trainer.global_step)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds of one fit per variant (default 9)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per fit (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 epoch: a smoke test")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.epochs = 2, 1
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")

    import lightning
    import lightning.pytorch  # noqa: F401 - its import sets its loggers' levels: quieten them after

    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)

    import fitwatch

    print(f"python {platform.python_version()}, torch {torch.__version__}, lightning {lightning.__version__}, "
          f"fitwatch {fitwatch.__version__}; {os.cpu_count()} CPUs, torch threads {args.threads}; "
          f"load {os.getloadavg()[0]:.2f}")
    loaders = data(16)
    kinds = ["none", "csv", "tensorboard", "fitwatch"]
    folder = tempfile.mkdtemp(prefix="fitwatch-lightning-bench-")
    rng = random.Random(0)
    results: dict[str, list] = {k: [] for k in kinds}
    try:
        for kind in kinds:  # warm-up: imports, first-fit costs
            fit_once(kind, folder, -1, loaders, 1)
        for r in range(args.rounds):
            order = kinds[:]
            rng.shuffle(order)
            for kind in order:
                results[kind].append(fit_once(kind, folder, r, loaders, args.epochs))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    steps = results["none"][0][2]
    base = [w for w, _, _ in results["none"]]
    print(f"\n{args.rounds} rounds, {args.epochs} epochs of {steps // args.epochs} logged training steps "
          f"({steps} a fit); no-logger fit: median {statistics.median(base):.3f} s "
          f"({1e6 * statistics.median(base) / steps:.0f} us a step)\n")
    print(f"{'logger':<14}{'wall overhead / step':>22}{'in logger / step':>20}{'fit wall (s)':>15}")
    inside_us = {}
    for kind in kinds[1:]:
        over = [1e6 * (w - b) / steps for (w, _, _), b in zip(results[kind], base)]
        inside = [1e6 * i / steps for _, i, _ in results[kind]]
        inside_us[kind] = statistics.median(inside)
        print(f"{kind:<14}{statistics.median(over):>19.1f} us{statistics.median(inside):>17.1f} us"
              f"{statistics.median(w for w, _, _ in results[kind]):>15.3f}")
    fw = inside_us["fitwatch"]
    print(f"\nratios (time inside the logger per step): CSVLogger / fitwatch = {inside_us['csv'] / fw:.2f}, "
          f"TensorBoardLogger / fitwatch = {inside_us['tensorboard'] / fw:.2f}")
    ok = fw < inside_us["csv"] and fw < inside_us["tensorboard"]
    print(f"target (fitwatch cheaper than both): {'PASS' if ok else 'FAIL'}; load {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
