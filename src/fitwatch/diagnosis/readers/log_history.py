"""The rows a Hugging Face ``Trainer`` logs, into points: shared by every reader of its logs.

Three files hold the same rows: ``trainer_state.json``'s ``log_history`` (and LLaMA-Factory's
``trainer_log.jsonl``, read by ``hf_trainer_state``) and the Trainer's TensorBoard scalars
(``train/loss``, ``eval/loss``, ``train/epoch``..., read by ``tensorboard_events``). Training rows
at logging steps (``{"epoch": 0.27, "step": 50, "loss": 0.69, "learning_rate": 5e-05, "grad_norm":
1.3}``, the epoch fractional), evaluation rows (``{"epoch": 1.0, "step": 186, "eval_loss": 0.41,
"eval_accuracy": 0.83, "eval_runtime": ...}``) and a closing summary (``train_runtime``,
``train_loss``: left out). :func:`from_log_history` makes one point per evaluation: its
``eval_*`` values as ``val_*`` (timings left out), and the mean of the training rows logged since
the evaluation before (``loss``, ``grad_norm``; the last ``learning_rate``). With evaluations at the
ends of epochs (``eval_strategy="epoch"``) that is the epoch's mean training loss, at epoch
``round(epoch) - 1`` (0-based, as Keras counts); with evaluations every N steps the points are
numbered 0, 1, 2... in order, with a note. Without any evaluation, one point per epoch: the mean of
its training rows (a run of fewer than 3 epochs: one point per logged row, with a note).

Example:
    >>> rows = [{"epoch": 0.5, "step": 5, "loss": 0.9, "learning_rate": 1e-4},
    ...         {"epoch": 1.0, "step": 10, "loss": 0.7, "learning_rate": 9e-5},
    ...         {"epoch": 1.0, "step": 10, "eval_loss": 0.8, "eval_accuracy": 0.6, "eval_runtime": 1.2},
    ...         {"epoch": 1.5, "step": 15, "loss": 0.5, "learning_rate": 8e-5},
    ...         {"epoch": 2.0, "step": 20, "loss": 0.3, "learning_rate": 7e-5},
    ...         {"epoch": 2.0, "step": 20, "eval_loss": 0.6, "eval_accuracy": 0.7, "eval_runtime": 1.1},
    ...         {"epoch": 2.0, "step": 20, "train_runtime": 30.0, "train_loss": 0.6}]
    >>> [(_, c)] = from_log_history(rows, "log", "log", what="a log_history", fix="log some")
    >>> c.epochs.tolist(), c.loss.round(6).tolist(), c.val_loss.tolist(), c.series["val_accuracy"].tolist()
    ([0, 1], [0.8, 0.4], [0.8, 0.6], [0.6, 0.7])
"""

from __future__ import annotations

import math
import numbers

from fitwatch.diagnosis.readers.columns import ReadError
from fitwatch.diagnosis.readers.runs import from_mapping

#: evaluation keys that time the evaluation rather than judge the model
_TIMINGS = ("runtime", "samples_per_second", "steps_per_second")
#: training keys averaged over a point's rows (the learning rate: its last value)
_MEANS = ("loss", "grad_norm")


def from_log_history(rows: list, label: str, source: str, *, what: str, fix: str) -> list[tuple]:
    """The run of a Trainer's logged ``rows`` (dicts; anything else is skipped): ``[(None, Curves)]``.
    Without a training loss and an evaluation, a :class:`ReadError` naming ``what`` was read and
    ``fix``."""
    rows = [r for r in rows if isinstance(r, dict)]
    evals = [r for r in rows if any(str(k).startswith("eval_") for k in r)]
    seen = {id(r) for r in evals}
    notes = []
    # a closing trainer.evaluate() after training: another evaluation at the step of the last one
    # (of the best checkpoint reloaded, or the same model again) is not another point of the curve
    if len(evals) >= 2 and evals[-1].get("step") is not None and evals[-1].get("step") == evals[-2].get("step"):
        notes.append(f"left out the evaluation logged again at step {evals[-1]['step']} after training "
                     f"(trainer.evaluate())")
        evals = evals[:-1]
    train = [r for r in rows if number(r.get("loss")) is not None and id(r) not in seen]
    if not evals and not train:
        raise ReadError(f"{label}: {what} has no training loss and no evaluation; {fix}")
    notes += _windows_cross_epochs(train)
    # one or two evaluations beside training rows over 3 or more epochs: the training curve is the run
    unit = "epoch"
    if evals and (len(evals) >= 3 or len({_epoch_of(r) for r in train}) < 3):
        epochs, points = _by_evaluation(evals, train, notes)
        unit = "evaluation" if any(n.startswith("evaluated ") for n in notes) else unit
    else:
        epochs, points = _by_epoch(train, notes, evals)
    keys = list(dict.fromkeys(k for p in points for k in p))
    mapping = {k: [p.get(k) for p in points] for k in keys}
    runs = from_mapping(mapping, label=label, source=source, epochs=epochs)
    for _, c in runs:
        c.notes[:0] = notes
        c.unit = unit
        c.context.setdefault("framework", "transformers")  # a Trainer's log: its remedies in the Trainer's words
    return runs


def _windows_cross_epochs(train: list) -> list[str]:
    """A note when the Trainer's logging window (``logging_steps``) does not divide an epoch's steps:
    a logged loss then averages steps of two epochs, and an epoch's mean holds some of its
    neighbours' (a sixth trial: 7 steps an epoch, a loss every 3: epoch 7 read 0.316 where its own
    steps averaged 0.205)."""
    steps = sorted(int(v) for r in train if (v := number(r.get("step"))) is not None)
    per = sorted(v / e for r in train if (v := number(r.get("step"))) and (e := number(r.get("epoch"))) and e > 0)
    if len(steps) < 3 or not per:
        return []
    window = sorted(b - a for a, b in zip(steps, steps[1:]))[(len(steps) - 1) // 2]
    epoch_steps = round(per[len(per) // 2])
    if window <= 1 or epoch_steps < 1 or epoch_steps % window == 0 or epoch_steps < window:
        return []
    return [f"the training loss is logged every {window} steps and an epoch has {epoch_steps}: a logged value "
            f"averages steps of two epochs, so each epoch's training loss holds some of its neighbours' "
            f"(logging_steps={window} does not divide {epoch_steps})"]


#: the Trainer counts epochs from 1 (its epoch 1.0 ends the first); fitwatch from 0, as Keras' history does
_FROM_ZERO = "epochs numbered from 0: add 1 for the Trainer's epoch (and its checkpoint at the end of it)"


def _by_evaluation(evals: list, train: list, notes: list) -> tuple[list, list]:
    """One point per evaluation, with the training rows since the one before."""
    evals = sorted(evals, key=lambda r: number(r.get("step")) or 0)
    at = [number(r.get("epoch")) for r in evals]
    whole = all(e is not None and math.isfinite(e) and e >= 0.5 and abs(e - round(e)) < 1e-3 for e in at)
    epochs = [int(round(e)) - 1 for e in at] if whole and len(set(round(e) for e in at)) == len(at) else None
    if epochs is None:
        notes.append(f"evaluated {len(evals)} times, not at the ends of epochs: one point per evaluation, "
                     f"numbered 0, 1, 2...; training values are the means of the rows logged since the one before")
        epochs = list(range(len(evals)))
    else:
        first = evals[0].get("step")
        notes.append(_FROM_ZERO.replace(":", f" (epoch 0 is the Trainer's epoch {at[0]:g}, step {first}):", 1)
                     if first is not None else _FROM_ZERO)
    points, last, i = [], -math.inf, 0
    train = sorted(train, key=lambda r: number(r.get("step")) or 0)
    for ev in evals:
        step = number(ev.get("step"))
        period = []
        while i < len(train) and (step is None or (number(train[i].get("step")) or 0) <= step):
            period.append(train[i])
            i += 1
        point = _training_point(period)
        point.update(_evaluation_point(ev))
        points.append(point)
        last = step
    if i < len(train):
        notes.append(f"{len(train) - i} training rows logged after the last evaluation (step {last:g}) left out")
    return epochs, points


def _epoch_of(r: dict) -> int:
    """The epoch a row belongs to: a row logged at epoch 1.0 ends epoch 0."""
    e = number(r.get("epoch"))
    return max(0, math.ceil(e - 1e-9) - 1) if e is not None and math.isfinite(e) else 0


def _by_epoch(train: list, notes: list, evals: list = ()) -> tuple[list, list]:
    """No evaluation, or one or two beside training rows over 3 or more epochs (too few for a curve):
    one point per epoch, or per row for a short run; an evaluation goes to the point of its epoch
    (its step's row, per row)."""
    groups: dict[int, list] = {}
    for r in train:
        groups.setdefault(_epoch_of(r), []).append(r)
    none = "no evaluation rows" if not evals else f"only {len(evals)} evaluation{'s' if len(evals) > 1 else ''}"
    if len(groups) >= 3 or len(train) < 3:
        notes.append(f"{none}: training loss by epoch, the mean of each epoch's logged rows")
        notes.append(_FROM_ZERO)
        epochs, points = sorted(groups), [_training_point(groups[e]) for e in sorted(groups)]
        where = [_epoch_of(ev) for ev in evals]
    else:
        notes.append(f"{none} and {len(groups)} epoch(s): one point per logged training row")
        epochs, points = list(range(len(train))), [_training_point([r]) for r in train]
        steps = [number(r.get("step")) or 0 for r in train]
        where = [epochs[min(range(len(steps)), key=lambda i: abs(steps[i] - (number(ev.get("step")) or 0)))]
                 for ev in evals]
    for ev, e in zip(evals, where):
        if e in epochs:
            points[epochs.index(e)].update(_evaluation_point(ev))
    return epochs, points


def _training_point(period: list) -> dict:
    point = {}
    for key in _MEANS:
        vals = [v for v in (number(r.get(key)) for r in period) if v is not None]
        if vals:
            point[key] = sum(vals) / len(vals)
    lrs = [v for v in (number(r.get("learning_rate")) for r in period) if v is not None]
    if lrs:
        point["lr"] = lrs[-1]
    return point


def _evaluation_point(ev: dict) -> dict:
    out = {}
    for k, v in ev.items():
        k = str(k)
        if k.startswith("eval_") and not k.endswith(_TIMINGS) and number(v) is not None:
            out["val_" + k[len("eval_"):]] = number(v)
    return out


def number(v) -> float | None:
    """A JSON number as a float (NaN and infinities kept); None for anything else."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    return float(v)
