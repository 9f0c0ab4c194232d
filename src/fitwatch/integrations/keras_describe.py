"""What a Keras fit says about itself, stored with the run by :class:`fitwatch.keras.Callback`: the
fit's settings, the optimizer, the model's size and config, and the regularisation it already uses
(dropout, weight decay or an L2 ``kernel_regularizer``, gradient clipping), which the diagnosis then does
not prescribe again (a new user's trial: a model with ``Dropout(0.5)`` and AdamW's weight decay was told to
add both, and an ``Adam(clipnorm=1.0)`` run to clip its gradients).

Example:
    >>> import os; os.environ.setdefault("KERAS_BACKEND", "torch")
    'torch'
    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dropout(0.3),
    ...                           keras.layers.Dense(1)])
    >>> regularisation(model, keras.optimizers.AdamW(weight_decay=1e-3, clipnorm=1.0))
    {'dropout': 0.3, 'weight_decay': 0.001, 'grad_clip': 1.0}
    >>> l2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, kernel_regularizer="l2"), keras.layers.Dense(1)])
    >>> regularisation(l2, keras.optimizers.Adam())
    {'weight_decay': 0.01}
"""

from __future__ import annotations

import json

import keras
import numpy as np

from fitwatch.diagnosis.run_context import amount

__all__ = ["describe", "regularisation", "MAX_MODEL_CONFIG_BYTES"]

#: a model config larger than this (as JSON) is not stored with the run
MAX_MODEL_CONFIG_BYTES = 64 * 1024
#: models with more top-level layers than this are not asked for their config at all
_MAX_CONFIG_LAYERS = 1000


def regularisation(model, optimizer, layers: list | None = None) -> dict:
    """The regularisation a Keras fit already uses, as the diagnosis's context keys: ``dropout`` (the
    largest rate of the model's dropout layers), ``weight_decay`` (the optimizer's, else the largest L2
    factor of a layer's ``kernel_regularizer``: ``L2``, ``L1L2``, ``"l2"``) and ``grad_clip`` (its
    ``clipnorm``, ``global_clipnorm`` or ``clipvalue``); a key only when above 0. ``layers``: the model's,
    when the caller has listed them already."""
    out = {}
    layers = (_layers(model) if layers is None else layers) or []  # a model that cannot list its layers: nothing said
    dropouts = tuple(getattr(keras.layers, n) for n in ("Dropout", "GaussianDropout", "AlphaDropout")
                     if hasattr(keras.layers, n))
    rates = [float(getattr(layer, "rate", 0) or 0) for layer in layers if isinstance(layer, dropouts)]
    if rates and max(rates) > 0:
        out["dropout"] = max(rates)
    for key, names in (("weight_decay", ("weight_decay",)), ("grad_clip", ("clipnorm", "global_clipnorm", "clipvalue"))):
        for name in names:
            v = getattr(optimizer, name, None)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
                out[key] = float(v)
                break
    l2 = max((_l2_of(getattr(layer, "kernel_regularizer", None)) for layer in layers), default=0.0)
    if l2 > 0 and "weight_decay" not in out:
        out["weight_decay"] = l2
    return out


def _layers(model) -> list | None:
    """Every layer of the model, nested ones included; None when it cannot list them."""
    try:
        return list(model._flatten_layers(include_self=False)) if hasattr(model, "_flatten_layers") else \
            list(getattr(model, "layers", []))
    except Exception:  # noqa: BLE001 - a model that cannot list its layers
        return None


#: layers that regularise in a way the config's keys do not say (noise, an activity penalty)
_UNSEEN_LAYERS = ("GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization")


def _all_seen(layers: list | None) -> bool:
    """Every regulariser of the model is one :func:`regularisation` records (Dropout layers, an L2
    ``kernel_regularizer``): no L1 or custom regularizer, no bias or activity penalty, no noise layer, no
    loss added by a layer. Only then does a config without dropout or weight_decay mean none (an attack: a
    Keras model held back by L1 was never told to weaken its regularisation). ``layers``: the model's
    (:func:`_layers`), None when it could not list them."""
    if layers is None:
        return False
    for layer in layers:
        if type(layer).__name__ in _UNSEEN_LAYERS:
            return False
        for name, reg in vars(layer).items():
            if name.endswith("_regularizer") and reg is not None and (name != "kernel_regularizer" or _l1_or_custom(reg)):
                return False
    return True


#: a weight penalty this large at the start (summed over the model's regularizers) counts: under it, it cannot
#: lift a first epoch half of ln 2 above where an untrained classifier starts
PENALTY_COUNTS = 0.1


def _penalised(model, layers: list) -> bool:
    """Keras adds its regularizers' penalty to the loss it reports, so a first epoch far above ln k may be the
    penalty of the initial weights (l2(0.05) on a 256-256-10 MLP: 14.06 at epoch 0, against ln 10 = 2.3), not a
    blow-up: the weight penalty at the start (``model.losses``) is :data:`PENALTY_COUNTS` or more, or an activity
    penalty, whose size the data decides, is there. A negligible l2(1e-6) is not (an attack: it hid a first epoch
    that blew up). ``layers``: the model's (:func:`_layers`)."""
    if any(type(layer).__name__ == "ActivityRegularization" or getattr(layer, "activity_regularizer", None) is not None
           for layer in layers):
        return True
    try:
        return sum(float(np.asarray(keras.ops.convert_to_numpy(v))) for v in model.losses) >= PENALTY_COUNTS
    except Exception:  # noqa: BLE001 - a model that cannot give its penalties now: nothing said
        return False


def _l1_or_custom(regularizer) -> bool:
    """A kernel regularizer that is not a plain L2 (an L1 part, or one without an l2-only config)."""
    try:
        config = regularizer.get_config()
    except Exception:  # noqa: BLE001
        return True
    return not isinstance(config, dict) or set(config) - {"l1", "l2"} != set() or bool(config.get("l1", 0)) \
        or not config.get("l2")


def _l2_of(regularizer) -> float:
    """The L2 factor of a Keras regularizer (``L2``, ``L1L2``; 0 for none, L1 alone or a custom one)."""
    if regularizer is None:
        return 0.0
    try:
        v = regularizer.get_config().get("l2", 0.0)
    except Exception:  # noqa: BLE001 - a custom regularizer without a config: nothing said
        return 0.0
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else 0.0


def describe(model, params: dict) -> tuple[dict, dict]:
    """The run's automatic config and info: cheap facts about the fit, the optimizer and the model; the
    regularisation it already uses (:func:`regularisation`) in the config, where the diagnosis reads it."""
    config: dict = {}
    info: dict = {
        "framework": "keras",
        "keras_version": keras.__version__,
        "batch_values": "keras running mean",
    }
    try:
        info["backend"] = keras.backend.backend()
    except Exception:  # pragma: no cover
        pass
    info["fit_params"] = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool, type(None)))}
    if params.get("epochs") is not None:
        config["epochs"] = params["epochs"]
    if model is None:  # pragma: no cover - Keras always sets the model before on_train_begin
        return config, info
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        inner = getattr(optimizer, "inner_optimizer", None) or optimizer  # LossScaleOptimizer wraps one
        config["optimizer"] = type(inner).__name__
        try:
            lr_config = inner.get_config().get("learning_rate")
            if isinstance(lr_config, dict):  # a schedule: record its kind and the current rate
                config["learning_rate_schedule"] = lr_config.get("class_name") or lr_config.get("module")
            lr = np.asarray(keras.ops.convert_to_numpy(inner.learning_rate), dtype=np.float64)
            config["learning_rate"] = float(lr.reshape(()))
        except Exception:
            pass
        layers = _layers(model)  # listed once: a model of thousands of layers is walked once, not four times
        config.update(regularisation(model, inner, layers))
        smooth = amount("label_smoothing", getattr(getattr(model, "loss", None), "label_smoothing", None))
        if smooth is not None:  # CategoricalCrossentropy(label_smoothing=): the loss's floor above 0, no doubt, no underfit
            config["label_smoothing"] = smooth
        if _all_seen(layers):  # no dropout or weight_decay in the config then means the fit has none
            info["regularisation_recorded"] = True
        if _penalised(model, layers or []):  # Keras adds its penalty to the loss: an epoch's loss is not the fit's alone
            info["loss_penalty"] = True
        if any(type(layer).__name__ == "GaussianNoise" and float(getattr(layer, "stddev", 0) or 0) >= 0.1
               for layer in layers or []):
            info["train_noise"] = True  # input noise in training only: validation below training is expected
    info["model_name"] = getattr(model, "name", None)
    try:
        info["params"] = int(model.count_params())
        info["trainable_params"] = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    except Exception:  # an unbuilt subclassed model
        pass
    layers = getattr(model, "layers", None)
    if layers is not None:
        info["layers"] = len(layers)
    if layers is not None and len(layers) <= _MAX_CONFIG_LAYERS:
        try:
            text = json.dumps(model.get_config(), default=repr)
        except Exception:  # subclassed models need not implement get_config
            text = None
        if text is not None:
            if len(text) <= MAX_MODEL_CONFIG_BYTES:
                info["model_config"] = json.loads(text)
            else:
                info["model_config"] = f"not stored: {len(text)} bytes of JSON (> {MAX_MODEL_CONFIG_BYTES})"
    return config, info
