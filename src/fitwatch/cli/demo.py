"""``fitwatch demo``: train a small PyTorch MLP that overfits, recorded with fitwatch, stopped early.

The model is a wide two-hidden-layer MLP trained on 300 of scikit-learn's bundled 8x8 digits
(no download) without any regularisation, so within a few seconds the training loss keeps falling
while the validation loss reaches its minimum early and then climbs: the textbook overfitting curve
that ``fitwatch show`` makes visible. :class:`fitwatch.EarlyStopping` ends the training once the
climb is clear and puts the best epoch's weights back into the model. The run's HTML report
(:mod:`fitwatch.report`) is written next to the store, in ``reports/<name>.html``.

torch and scikit-learn are imported inside the functions only: fitwatch's core never needs them.

Example (the loop is exactly what a user writes)::

    run = fitwatch.Run("digits-mlp", config={...}, progress=True)
    stopper = fitwatch.EarlyStopping()
    for epoch in run.epochs(100, stop=stopper, restore=model):
        for xb, yb in train_batches:
            ...
            run.log("train", loss=loss, accuracy=(out.argmax(1) == yb).float().mean(), n=len(yb))
        with torch.no_grad():
            ...
            run.log("val", loss=loss, accuracy=..., n=len(yb))
    run.finish()
"""

from __future__ import annotations

import time

DEFAULT_NAME = "digits-mlp"
DEFAULT_EPOCHS = 100

#: the demo's settings, chosen to overfit clearly: few training samples, a wide net, no regularisation
SETTINGS = {
    "dataset": "sklearn digits (8x8)",
    "train_samples": 300,
    "hidden": 512,
    "layers": 2,
    "optimizer": "Adam",
    "lr": 1e-3,
    "batch_size": 32,
    "weight_decay": 0.0,
    "dropout": 0.0,
    "seed": 0,
}

INSTALL_HINT = "pip install 'fitwatch[demo]'"


class MissingDependency(ImportError):
    """torch or scikit-learn is not installed."""


def require():
    """Import and return ``(torch, load_digits)``; raise :class:`MissingDependency` with the fix."""
    try:
        import torch
    except ImportError as e:
        raise MissingDependency(f"fitwatch demo needs PyTorch ({e}); {INSTALL_HINT}") from None
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise MissingDependency(f"fitwatch demo needs scikit-learn ({e}); {INSTALL_HINT}") from None
    return torch, load_digits


def load_data(torch, load_digits, train_samples: int, seed: int):
    """Standardised digits split into a small training set and a large validation set (tensors)."""
    import numpy as np

    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    train, val = order[:train_samples], order[train_samples:]
    mean = x[train].mean(axis=0)
    # border pixels are (almost) always 0 in 300 images: a floor on the scale keeps a rare ink
    # pixel of a validation image from becoming a huge input
    std = np.maximum(x[train].std(axis=0), 1.0)
    x = (x - mean) / std
    as_x = lambda idx: torch.tensor(x[idx], dtype=torch.float32)  # noqa: E731
    as_y = lambda idx: torch.tensor(y[idx], dtype=torch.long)  # noqa: E731
    return as_x(train), as_y(train), as_x(val), as_y(val)


def train(epochs: int = DEFAULT_EPOCHS, name: str = DEFAULT_NAME, dir=None, progress: bool = True,
          stop: bool = True):
    """Train the demo model for up to ``epochs`` epochs, recorded as run ``name``; returns the finished Run.

    With ``stop``, :class:`fitwatch.EarlyStopping` (its defaults) ends the training and the model
    ends with its best epoch's weights (the run's ``info["early_stopping"]`` says where and why);
    without, every epoch runs.
    """
    import numpy as np

    import fitwatch

    torch, load_digits = require()
    cfg = dict(SETTINGS, epochs=epochs)
    seed = cfg["seed"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    x_train, y_train, x_val, y_val = load_data(torch, load_digits, cfg["train_samples"], seed)

    hidden = cfg["hidden"]
    model = torch.nn.Sequential(
        torch.nn.Linear(x_train.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    bs = cfg["batch_size"]
    gen = torch.Generator().manual_seed(seed)

    run = fitwatch.Run(name, config=cfg, dir=dir, progress=progress,
                       info={"framework": f"torch {torch.__version__}", "model": str(model)})
    stopper = fitwatch.EarlyStopping() if stop else None
    try:
        for epoch in run.epochs(epochs, stop=stopper, restore=model if stop else None):
            model.train()
            perm = torch.randperm(len(x_train), generator=gen)
            for i in range(0, len(perm), bs):
                idx = perm[i:i + bs]
                x, y = x_train[idx], y_train[idx]
                out = model(x)
                loss = loss_fn(out, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                run.log("train", loss=loss, accuracy=(out.argmax(1) == y).float().mean(), n=len(y))
            model.eval()
            with torch.no_grad():
                for i in range(0, len(x_val), 512):
                    x, y = x_val[i:i + 512], y_val[i:i + 512]
                    out = model(x)
                    loss = loss_fn(out, y)
                    run.log("val", loss=loss, accuracy=(out.argmax(1) == y).float().mean(), n=len(y))
    except KeyboardInterrupt:
        run.finish("stopped", error="interrupted (Ctrl-C)")
        raise
    except BaseException as e:
        run.fail(e)
        raise
    run.finish()
    return run


def main(epochs: int = DEFAULT_EPOCHS, name: str = DEFAULT_NAME, dir=None, console=None) -> int:
    """Train, print the run's ``fitwatch show`` table and how to see it again, write its HTML report
    (``<store folder>/reports/<name>.html``) and print where it is."""
    from rich.text import Text

    from fitwatch.show import tables
    from fitwatch.store import DB_NAME, resolve_path

    console = console or tables.make_console()
    t0 = time.perf_counter()
    run = train(epochs=epochs, name=name, dir=dir)
    seconds = time.perf_counter() - t0
    data = run.store.load(run.id)
    tables.print_show(data, console)
    path = run.store.path
    folder = path.parent if path.name == DB_NAME else path
    where = "" if resolve_path(None).absolute() == path.absolute() else f" --dir {_quote(str(folder))}"
    console.print(
        Text.assemble(f"Trained {len(data.epochs)} epochs in {seconds:.1f}s. Run stored in {path}; "
                      "see it again with: ", (f"fitwatch show {_quote(name)}{where}", "bold")),
        soft_wrap=True,
    )
    if write_demo_report(data, folder, console):
        console.print(Text.assemble("Open it in a browser, or watch runs live with: ",
                                    (f"fitwatch serve{where}", "bold")), soft_wrap=True)
    return 0


def write_demo_report(data, folder, console) -> str | None:
    """Write the run's HTML report to ``<folder>/reports/<name>.html`` and print its path; if it cannot
    be written, print why instead (the demo does not fail for it)."""
    from rich.text import Text

    from fitwatch.show.report import safe_filename, write_report

    try:
        report = write_report([data], folder / "reports" / f"{safe_filename(data.name)}.html")
    except OSError as e:  # a folder that cannot be written
        console.print(Text(f"No HTML report: {e}", style="dim"), soft_wrap=True)
        return None
    console.print(Text.assemble("Report: ", (report, "bold")), soft_wrap=True)
    return report


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)
