"""What a Hugging Face ``Trainer`` logs and is told, in fitwatch's terms: the rows of ``on_log`` as a
run's step and epoch values, and its arguments and model as the run's config and info.

Framework-free (the standard library only): :mod:`fitwatch.integrations.transformers` hands it the
Trainer's rows and objects and reads them by their attributes, nothing imported.

The Trainer hands ``on_log`` every row it appends to ``trainer.state.log_history``: training rows
at logging steps (``{"loss": 0.69, "grad_norm": 1.3, "learning_rate": 5e-05, "epoch": 0.27}``, the
loss the mean over the steps since the row before), evaluation rows (``{"eval_loss": 0.41,
"eval_accuracy": 0.83, "eval_runtime": 0.2, ..., "epoch": 1.0}``), and a closing summary
(``train_runtime``, ``train_loss``, ``total_flos``). :func:`step_values` names a row's values as the
run stores them, ``(split, metric)``; :class:`EpochRows` makes one epoch's values out of the rows
logged during it, as fitwatch's reader of a ``trainer_state.json``
(:mod:`fitwatch.diagnosis.readers.log_history`) does: ``loss`` and ``grad_norm`` the mean of the
epoch's training rows, ``lr`` the last learning rate, ``val_*`` its last evaluation.

Example:
    >>> rows = EpochRows()
    >>> rows.add({"loss": 0.75, "grad_norm": 2.0, "learning_rate": 1e-4, "epoch": 0.5})
    'train'
    >>> rows.add({"loss": 0.25, "grad_norm": 1.0, "learning_rate": 9e-5, "epoch": 1.0})
    'train'
    >>> rows.add({"eval_loss": 0.6, "eval_accuracy": 0.7, "eval_runtime": 0.1, "epoch": 1.0})
    'eval'
    >>> rows.values()
    {'loss': 0.5, 'grad_norm': 1.5, 'lr': 9e-05, 'val_loss': 0.6, 'val_accuracy': 0.7}
    >>> step_values({"loss": 0.25, "learning_rate": 9e-5, "epoch": 1.0})
    {('train', 'loss'): 0.25, ('train', 'lr'): 9e-05}
"""

from __future__ import annotations

import json
import math
import numbers

from fitwatch.core.names import TRAIN, VAL, split_key
from fitwatch.diagnosis.run_context import amount
from fitwatch.stopping.keeper import framework_stop, run_shift

#: keys that time a row rather than judge the model (``eval_runtime``, ``train_samples_per_second``)
TIMINGS = ("_runtime", "_per_second")
#: the Trainer's bookkeeping in a row, never a value of the model
BOOKKEEPING = frozenset({"epoch", "step", "total_flos"})
#: the Trainer's key of the learning rate, and fitwatch's (what the diagnosis reads as a schedule)
LR_KEYS = {"learning_rate": "lr"}
#: a model config larger than this (as JSON) is not stored with the run
MAX_MODEL_CONFIG_BYTES = 64 * 1024
#: TrainingArguments that make the run's config (the hyperparameters); all of them go to its info
CONFIG_ARGS = ("learning_rate", "per_device_train_batch_size", "gradient_accumulation_steps", "weight_decay",
               "lr_scheduler_type", "warmup_steps", "warmup_ratio", "optim", "max_grad_norm", "seed", "fp16", "bf16")
#: what the run's info says its values are
STEP_VALUES = ("the Trainer's logged rows at their global step: the training loss averaged over the steps since the "
               "row before, grad_norm and lr as logged; every evaluation in split val")
EPOCH_VALUES = ("loss and grad_norm: the mean of the epoch's logged training rows; lr: the last one; val_*: the "
                "epoch's last evaluation")


def number(v) -> float | None:
    """A logged value as a float (NaN and infinities kept); None for anything that is not a real number."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    return float(v)


def kind(logs: dict) -> str:
    """What a logged row is: ``"eval"`` (an ``eval_*`` key), ``"train"`` (a ``loss``), ``"summary"``
    (the closing ``train_runtime`` row) or ``"other"`` (a row of the user's ``trainer.log``)."""
    if any(str(k).startswith("eval_") for k in logs):
        return "eval"
    if number(logs.get("loss")) is not None:
        return "train"
    return "summary" if "train_runtime" in logs else "other"


def step_values(logs: dict, what: str | None = None) -> dict[tuple[str, str], float]:
    """The values of a logged row as the run stores them: ``{(split, metric): value}``.

    An evaluation's ``eval_*`` keys are the ``val`` split's (``eval_loss`` is ``("val", "loss")``);
    a training row's keys are ``train``'s, ``learning_rate`` named ``lr``; another row's keys are
    split as Keras-style keys (``test_loss`` is ``("test", "loss")``). Timings, the Trainer's
    bookkeeping and whatever is not a number are left out; the summary gives none.

    Example:
        >>> step_values({"eval_loss": 0.4, "eval_runtime": 0.2, "epoch": 1.0})
        {('val', 'loss'): 0.4}
    """
    what = what or kind(logs)
    if what == "summary":
        return {}
    out = {}
    for key, v in logs.items():
        key, v = str(key), number(v)
        if v is None or key in BOOKKEEPING or key.endswith(TIMINGS):
            continue
        if what == "eval":
            if key.startswith("eval_"):
                out[(VAL, key[len("eval_"):])] = v
        elif what == "train":
            out[(TRAIN, LR_KEYS.get(key, key))] = v
        else:
            out[split_key(key)] = v
    return out


class EpochRows:
    """The rows logged during one epoch, and the epoch's values made of them (see the module)."""

    def __init__(self):
        self.train: list[dict[str, float]] = []  # {"loss", "grad_norm", "lr"} of each training row
        self.evaluation: dict[str, float] | None = None  # the last evaluation's val_* values

    def add(self, logs: dict) -> str:
        """Take one logged row; returns its :func:`kind`."""
        what = kind(logs)
        if what == "train":
            values = step_values(logs, what)
            self.train.append({m: values[(TRAIN, m)] for m in ("loss", "grad_norm", "lr") if (TRAIN, m) in values})
        elif what == "eval":
            self.evaluation = {f"val_{m}": v for (_, m), v in step_values(logs, what).items()}
        return what

    def values(self) -> dict[str, float]:
        """The epoch's Keras-style values (``{}`` when nothing was logged)."""
        out = {}
        for key in ("loss", "grad_norm"):
            vals = [r[key] for r in self.train if key in r]
            if vals:
                out[key] = sum(vals) / len(vals)
        lrs = [r["lr"] for r in self.train if "lr" in r]
        if lrs:
            out["lr"] = lrs[-1]
        out.update(self.evaluation or {})
        return out


def _plain(value):
    """A value as JSON holds it: enums by their value, anything else JSON cannot hold by its text."""
    value = getattr(value, "value", value)
    return json.loads(json.dumps(value, default=str))


def describe(args, state, model, optimizer, versions: dict) -> tuple[dict, dict]:
    """The run's automatic config and info, from the Trainer's ``TrainingArguments``, ``TrainerState``,
    model and optimizer (read by attribute; what a model lacks is left out).

    The config holds the hyperparameters (:data:`CONFIG_ARGS`, the number of epochs, the total batch
    size, the optimizer's and the model's class and model type; ``grad_clip``, the diagnosis's name for
    ``max_grad_norm`` when above 0; ``label_smoothing``, its ``label_smoothing_factor``); the info the framework's versions,
    every TrainingArgument (tokens masked, as ``to_dict()`` gives them), the Trainer's plan (epochs,
    steps, logging and evaluation strategies), the model's parameter counts and its config when small.
    """
    a = args.to_dict() if callable(getattr(args, "to_dict", None)) else dict(vars(args))
    config = {k: _plain(a[k]) for k in CONFIG_ARGS if k in a}
    world = getattr(args, "world_size", 1) or 1
    batch = state.train_batch_size or getattr(args, "train_batch_size", None)
    if batch is not None:
        config["batch_size"] = int(batch) * int(a.get("gradient_accumulation_steps") or 1) * int(world)
    config["epochs"] = state.num_train_epochs
    clip = a.get("max_grad_norm")  # the Trainer clips at 1.0 by default: "clip gradients" is not said again
    if isinstance(clip, (int, float)) and not isinstance(clip, bool) and 0 < clip < float("inf"):
        config["grad_clip"] = float(clip)
    smooth = amount("label_smoothing", a.get("label_smoothing_factor"))  # the loss's floor above 0: no underfit
    if smooth is not None:  # (a seventh trial)
        config["label_smoothing"] = smooth
    if optimizer is not None:
        config["optimizer"] = type(getattr(optimizer, "optimizer", optimizer)).__name__  # accelerate wraps it
    info = {"framework": "transformers", **versions, "batch_values": STEP_VALUES, "epoch_values": EPOCH_VALUES,
            "training_args": _plain(a)}
    strategy = a.get("eval_strategy", a.get("evaluation_strategy"))
    info["trainer"] = {"num_train_epochs": state.num_train_epochs, "max_steps": state.max_steps,
                       "logging_steps": state.logging_steps, "eval_steps": state.eval_steps,
                       "logging_strategy": _plain(a.get("logging_strategy")), "eval_strategy": _plain(strategy),
                       "world_size": world}
    if model is None:
        return config, info
    config["model"] = info["model_name"] = type(model).__name__
    if getattr(model, "main_input_name", None) == "input_ids":  # a language model: its remedies are not images'
        info["data"] = "text"
    classes = _classes(model)
    if classes is not None:  # the no-skill level ln C of its cross-entropy
        info["classes"] = classes
    try:
        info["params"] = sum(p.numel() for p in model.parameters())
        info["trainable_params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    except Exception:  # not a torch module: no counts
        pass
    model_config = getattr(model, "config", None)
    if callable(getattr(model_config, "to_dict", None)):
        config["model_type"] = getattr(model_config, "model_type", None) or None
        text = json.dumps(model_config.to_dict(), default=str)
        info["model_config"] = (json.loads(text) if len(text) <= MAX_MODEL_CONFIG_BYTES
                                else f"not stored: {len(text)} bytes of JSON (> {MAX_MODEL_CONFIG_BYTES})")
    return config, info


#: the heads whose loss is a cross-entropy over ``config.num_labels`` classes
_CLASSIFIER_HEADS = ("ForSequenceClassification", "ForTokenClassification", "ForImageClassification",
                     "ForAudioClassification", "ForImageClassificationWithTeacher")


def _classes(model) -> int | None:
    """The number of classes of a classification head (``BertForSequenceClassification`` with
    ``num_labels=2``: 2), or None (another head, a regression, a multi-label problem)."""
    config = getattr(model, "config", None)
    n = getattr(config, "num_labels", None)
    if not type(model).__name__.endswith(_CLASSIFIER_HEADS) or not isinstance(n, int) or n < 2:
        return None
    if getattr(config, "problem_type", None) not in (None, "single_label_classification"):
        return None
    return n


def _trainer_reason(metric: str, es, criterion: str) -> str | None:
    """Why the Trainer's ``EarlyStoppingCallback`` ``es`` stopped: the evaluations it waited, and the
    threshold an improvement had to pass when one was set."""
    if es is None:
        return None
    n = int(es.early_stopping_patience)
    by = float(getattr(es, "early_stopping_threshold", 0.0) or 0.0)
    more = f" by more than {by:g}" if by > 0 else ""
    return f"{metric} did not improve{more} for {n} evaluation{'s' if n != 1 else ''} ({criterion})"


def _run_epoch(trainer_epoch: int, trainer_epochs: dict[int, int]) -> int | None:
    """The run's epoch of the Trainer's ``trainer_epoch``: this train()'s map, else (an epoch before a
    resume from a checkpoint) shifted as this train()'s epochs are."""
    if trainer_epoch in trainer_epochs or not trainer_epochs:
        return trainer_epochs.get(trainer_epoch)
    shifted = trainer_epoch + run_shift(trainer_epochs)
    return shifted if shifted >= 0 else None


def trainer_stop_record(args, state, stops: list, trainer_epochs: dict[int, int], planned: int | None,
                        last: int | None, ended_early: bool) -> dict | None:
    """The stop record of the Trainer's own early stopping and best-model loading after ``train()``: the
    ``EarlyStoppingCallback`` in ``stops`` (that ended it, when ``ended_early``) and ``load_best_model_at_end``
    (the best checkpoint loaded back: ``restored``), the best epoch the one whose evaluation made
    ``state.best_global_step`` (from ``state.log_history``), in the run's epochs (``trainer_epochs``: the
    Trainer's epoch -> the run's), with ``"best_step"`` when it was an evaluation in mid-epoch, not the
    last of its epoch that the run stores. None when neither is in place or no best is known.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> args = NS(metric_for_best_model="eval_loss", greater_is_better=False, load_best_model_at_end=True)
        >>> state = NS(best_metric=0.4, best_global_step=20, best_model_checkpoint="out/checkpoint-20",
        ...            log_history=[{"eval_loss": 0.5, "epoch": 1.0, "step": 10}, {"eval_loss": 0.4, "epoch": 2.0, "step": 20},
        ...                         {"eval_loss": 0.45, "epoch": 3.0, "step": 30}])
        >>> es = NS(early_stopping_patience=1, early_stopping_patience_counter=1)
        >>> r = trainer_stop_record(args, state, [es], {0: 0, 1: 1, 2: 2}, 10, 2, ended_early=True)
        >>> r["monitor"], r["best_epoch"], r["stopped_epoch"], r["restored"], r["checkpoint"]
        ('val_loss', 1, 2, True, 'out/checkpoint-20')
    """
    restored = bool(getattr(args, "load_best_model_at_end", False) and getattr(state, "best_model_checkpoint", None))
    if not stops and not restored:
        return None
    metric = getattr(args, "metric_for_best_model", None) or "loss"
    metric = metric if metric.startswith("eval_") else f"eval_{metric}"
    monitor = f"val_{metric[len('eval_'):]}"
    best_value, step = number(getattr(state, "best_metric", None)), getattr(state, "best_global_step", None)
    if step is None and getattr(state, "best_model_checkpoint", None):  # older Trainers: checkpoint-<step>
        tail = str(state.best_model_checkpoint).rstrip("/\\").rsplit("-", 1)[-1]
        step = int(tail) if tail.isdigit() else None
    evals = [r for r in getattr(state, "log_history", ()) if metric in r]
    best_row = next((r for r in evals if r.get("step") == step), None) if step is not None else \
        next((r for r in evals if number(r[metric]) == best_value), None)  # no checkpoint saved
    at = None if best_row is None else best_row.get("epoch")
    if best_value is None or at is None:
        return None
    epoch_of = lambda e: max(0, math.ceil(float(e) - 1e-6) - 1)  # noqa: E731 - epoch 1.0 ends the run's epoch 0
    best_epoch = _run_epoch(epoch_of(at), trainer_epochs)
    later = [r for r in evals if r.get("epoch") is not None and epoch_of(r["epoch"]) == epoch_of(at)][-1:]
    mid = bool(later) and later[0] is not best_row  # the best is not the evaluation the run stores for its epoch
    fired = next((es for es in stops if es.early_stopping_patience_counter >= es.early_stopping_patience), None)
    stopped = ended_early and fired is not None
    es = fired or (stops[0] if stops else None)
    criterion = ("load_best_model_at_end" if es is None else
                 f"transformers EarlyStoppingCallback(early_stopping_patience={es.early_stopping_patience})")
    more = {"patience": es.early_stopping_patience} if es is not None else {}
    if restored:  # load_best_model_at_end did it, not the EarlyStoppingCallback (said beside fitwatch's rule)
        more.update(checkpoint=str(state.best_model_checkpoint), checkpoint_epoch=best_epoch,
                    restorer="load_best_model_at_end")
    if mid and best_row.get("step") is not None:  # a mid-epoch evaluation (eval_strategy="steps")
        more["best_step"] = int(best_row["step"])
    return framework_stop(
        criterion=criterion, monitor=monitor, mode="max" if getattr(args, "greater_is_better", False) else "min",
        best_epoch=best_epoch, best_value=best_value, stopped=stopped, stopped_epoch=last,
        reason=_trainer_reason(metric, es, criterion),
        restored=restored, last_epoch=last, source="transformers", **more,
        planned=planned, epochs=trainer_epochs)
