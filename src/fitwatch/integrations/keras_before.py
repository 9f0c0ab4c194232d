"""Keras 3: ``fitwatch.keras.preflight`` and ``fitwatch.keras.lr_find``, before ``model.fit``.

``preflight(model, x, y, validation_data=...)`` runs the checks of :func:`fitwatch.preflight` on a
compiled Keras model (on the torch backend, where a Keras model is a ``torch.nn.Module``): the
compiled loss is read with its ``from_logits`` (a softmax output with
``SparseCategoricalCrossentropy(from_logits=True)`` is the mismatch; without it, raw scores are),
the arrays become loaders like ``fit``'s (shuffled, ``batch_size``). ``lr_find(model, x, y)`` sweeps
the learning rate the Keras way: a clone of the model, compiled with a new optimizer of the model's
class and configuration and the same loss, trained with ``train_on_batch`` while the rate grows;
the model, its optimizer and its weights stay as they were.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from fitwatch.preflight.lr_find import LRSweep, SweepLog, sweep_rates
from fitwatch.preflight.report import Preflight
from fitwatch.preflight.report import preflight as _torch_preflight
from fitwatch.preflight.state import kept_rng

__all__ = ["preflight", "lr_find"]

#: Keras loss names -> (what they compute, the torch loss that takes the same outputs)
_LOSSES = {
    "sparse_categorical_crossentropy": "categorical", "categorical_crossentropy": "categorical",
    "sparsecategoricalcrossentropy": "categorical", "categoricalcrossentropy": "categorical",
    "binary_crossentropy": "binary", "binarycrossentropy": "binary",
    "mse": "MSELoss", "mean_squared_error": "MSELoss", "meansquarederror": "MSELoss",
    "mae": "L1Loss", "mean_absolute_error": "L1Loss", "meanabsoluteerror": "L1Loss",
    "huber": "HuberLoss", "huber_loss": "HuberLoss",
}


#: the mismatch, in Keras's words, by the torch loss the compiled loss behaves as
_KERAS_MISMATCH = {
    "CrossEntropyLoss": "The loss does not fit the model's output: {name} with from_logits=True is given "
                        "probabilities (a softmax last layer), so they are squashed twice and the loss cannot "
                        "fall far: set from_logits=False, or remove the softmax.",
    "BCEWithLogitsLoss": "The loss does not fit the model's output: {name} with from_logits=True is given "
                         "probabilities (a sigmoid last layer): set from_logits=False, or remove the sigmoid.",
    "KerasCrossEntropy": "The loss does not fit the model's output: {name} (from_logits=False) is given raw "
                         "scores, not probabilities: add activation='softmax' to the last layer, or set "
                         "from_logits=True.",
    "BCELoss": "The loss does not fit the model's output: {name} (from_logits=False) is given raw scores: add "
               "activation='sigmoid' to the last layer, or set from_logits=True.",
}


class _KerasLoss:
    """A compiled Keras loss as ``loss(output, target)`` (torch's order), with the torch loss it
    behaves as (``fitwatch_kind``) for the checks: ``CrossEntropyLoss`` (logits), ``KerasCrossEntropy``
    (probabilities), ``BCEWithLogitsLoss``, ``BCELoss``, ``MSELoss``..."""

    def __init__(self, loss):
        import keras

        self.fn = keras.losses.get(loss) if isinstance(loss, str) else loss
        name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
        key = str(name).lower()
        kind = _LOSSES.get(key) or _LOSSES.get(type(loss).__name__.lower(), key)
        cfg = loss.get_config() if hasattr(loss, "get_config") else {}
        logits = bool(cfg.get("from_logits", False))
        self.fitwatch_kind = {"categorical": "CrossEntropyLoss" if logits else "KerasCrossEntropy",
                              "binary": "BCEWithLogitsLoss" if logits else "BCELoss"}.get(kind, kind)
        self.__name__ = str(name)

    def __call__(self, out, y):
        import keras

        return keras.ops.mean(self.fn(y, out))


def _compiled_loss(model):
    loss = getattr(model, "loss", None)
    if loss is None:
        raise ValueError("fitwatch.keras: compile the model first (model.compile(optimizer=..., loss=...)): "
                         "the checks read its loss and optimizer")
    if isinstance(loss, (list, dict)):
        raise ValueError("fitwatch.keras: a model with several losses is not supported; check each output's "
                         "model on its own")
    return loss


def _loader(x, y, batch_size: int, shuffle: bool, seed: int = 0):
    import torch

    tx = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    ay = np.asarray(y)
    ty = torch.as_tensor(ay, dtype=torch.float32 if np.issubdtype(ay.dtype, np.floating) else torch.int64)
    g = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(tx, ty), batch_size=batch_size,
                                       shuffle=shuffle, generator=g)


#: the losses that compare outputs and targets element by element: Keras lines a 1-D target up with one output column
_ELEMENTWISE = ("MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss")


def _as_fit_takes(model, y, kind: str):
    """Targets as ``fit`` lines them up with the model's output: for a loss that compares element by element
    (``kind``, the torch loss the compiled one behaves as), a 1-D ``y`` beside an output of one column (``Dense(1)``)
    becomes ``(N, 1)``, as Keras's compiled loss expands it (a ninth trial: 1-D targets, the way ``fit`` takes them,
    were a critical loss_output_mismatch, "torch broadcasts them", on a model Keras trains). Class ids for a sparse
    cross-entropy stay as they are (an attack: Dense(1) beside them is label_out_of_range, not a reshape)."""
    shape = getattr(model, "output_shape", None)
    ay = np.asarray(y)
    if kind in _ELEMENTWISE and isinstance(shape, tuple) and len(shape) == 2 and shape[-1] == 1 and ay.ndim == 1:
        return ay.reshape(-1, 1)
    return y


def _need_torch_backend():
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"fitwatch.keras.preflight runs on the torch backend (KERAS_BACKEND=torch); this "
                           f"Keras runs on {keras.backend.backend()!r}")


def preflight(model, x, y, *, validation_data=None, batch_size: int = 32, run=None,
              max_samples: int = 50_000) -> Preflight:
    """:func:`fitwatch.preflight` for a compiled Keras model and the arrays ``fit`` would get.

    Args:
        model: a compiled Keras 3 model (torch backend); never changed.
        x, y: the training inputs and targets (numpy arrays or tensors).
        validation_data: ``(x_val, y_val)``, as ``fit`` takes it.
        batch_size: the batch size ``fit`` will use.
        run: a :class:`fitwatch.Run` (or the ``run`` of a ``fitwatch.keras.Callback``) to store the report with.
        max_samples: read at most this many samples of each split for the data checks.

    Returns:
        A :class:`fitwatch.Preflight` (``print(report)``; ``report.codes``).
    """
    _need_torch_backend()
    loss = _KerasLoss(_compiled_loss(model))
    train = _loader(x, _as_fit_takes(model, y, loss.fitwatch_kind), batch_size, shuffle=True)  # fit shuffles by default
    val = (_loader(validation_data[0], _as_fit_takes(model, validation_data[1], loss.fitwatch_kind),
                   batch_size=max(batch_size, 128), shuffle=False) if validation_data else None)
    with warnings.catch_warnings():  # copying a compiled model: Keras notes its optimizer's variables are not copied
        warnings.filterwarnings("ignore", message="Skipping variable loading", category=UserWarning)
        report = _torch_preflight(model, train, loss, val_loader=val, optimizer=None, max_samples=max_samples)
    for f in report.findings:  # said in Keras's terms: from_logits, the last layer's activation
        if (f.code == "loss_output_mismatch" and loss.fitwatch_kind in _KERAS_MISMATCH and "shape" not in f.message
                and "single output unit" not in f.message):
            f.message, f.remedies = _KERAS_MISMATCH[loss.fitwatch_kind].format(name=loss.__name__), [
                "Match the loss to the last layer: from_logits=False after a softmax/sigmoid activation, "
                "from_logits=True after none (raw scores, the more stable choice)."]
    if run is not None:
        run.add_preflight(report)
    return report


def lr_find(model, x, y, *, batch_size: int = 32, start_lr: float = 1e-7, end_lr: float = 10.0,
            steps: int = 100, diverge: float = 4.0, run=None) -> LRSweep:
    """:func:`fitwatch.lr_find` for a compiled Keras model: a clone (same weights) compiled with a new
    optimizer of the model's optimizer class and configuration, trained with ``train_on_batch``
    while the learning rate grows exponentially; the model and its optimizer are not touched.

    Returns:
        An :class:`fitwatch.LRSweep` (``.suggestion``, ``.plot()``).
    """
    import keras

    loss = _compiled_loss(model)
    opt = getattr(model, "optimizer", None)
    t0 = time.perf_counter()
    x, y = np.asarray(x), np.asarray(y)
    rates = sweep_rates(start_lr, end_lr, steps, "fitwatch.keras.lr_find")
    log = SweepLog(diverge)
    with kept_rng():
        twin = keras.models.clone_model(model)
        twin.set_weights(model.get_weights())
        new_opt = type(opt).from_config(opt.get_config()) if opt is not None else keras.optimizers.SGD()
        twin.compile(optimizer=new_opt, loss=loss)
        rng = np.random.default_rng(0)
        order, at = rng.permutation(len(x)), 0
        for i, lr in enumerate(rates):
            if at + batch_size > len(x):
                order, at = rng.permutation(len(x)), 0
            idx = order[at:at + batch_size]
            at += batch_size
            new_opt.learning_rate.assign(float(lr))
            if not log.add(float(lr), float(np.asarray(twin.train_on_batch(x[idx], y[idx])).reshape(-1)[0])):
                break
    return log.result(steps, type(opt).__name__ if opt is not None else "SGD", t0, run)
