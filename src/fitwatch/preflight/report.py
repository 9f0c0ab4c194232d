"""``fitwatch.preflight``: the checks to run before the first epoch, and their report."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

from fitwatch.diagnosis.findings import Finding
from fitwatch.preflight import data as D
from fitwatch.preflight import model as M
from fitwatch.preflight.findings import CODES
from fitwatch.preflight.state import check_arguments, copy_setup, device_of, forward, kept_rng, loss_of, split_batch
from fitwatch.preflight.task import Task, infer, loss_name


@dataclass
class Preflight:
    """What :func:`preflight` found.

    Attributes:
        findings: in the diagnosis's format (code, severity, evidence, message, remedies), most
            serious first; empty when every check passed.
        checks: each check's outcome: ``"ok"``, ``"found"`` or ``"skipped: why"``.
        task: what the set-up trains for (kind, loss, classes, no-skill loss).
        initial_loss: the untrained model's loss on the first training batch, as the first training
            step computes it (training mode: batch norm on the batch's statistics, dropout on).
        seconds: the checks' wall time.
    """

    findings: list[Finding] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    task: dict = field(default_factory=dict)
    initial_loss: float | None = None
    seconds: float = 0.0

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def __bool__(self) -> bool:  # "if report:" -- True when something was found
        return bool(self.findings)

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "checks": dict(self.checks),
                "task": dict(self.task), "initial_loss": self.initial_loss, "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, d: dict) -> "Preflight":
        fs = [Finding.from_dict(f) for f in d.get("findings") or []]
        return cls(fs, dict(d.get("checks") or {}), dict(d.get("task") or {}), d.get("initial_loss"),
                   float(d.get("seconds") or 0.0))

    def __str__(self) -> str:
        t = self.task
        head = (f"preflight: {t.get('kind', '?')} ({t.get('loss', '?')}"
                + (f", {t['classes']} classes" if t.get("kind") == "classification" else "") + ")"
                + (f", initial loss {self.initial_loss:.3g}" if self.initial_loss is not None else "")
                + (f" (expected at the start: {t['start']:.3g})" if t.get("start") is not None
                   and self.initial_loss is not None else "")
                + f", {len(self.checks)} checks in {self.seconds:.1f} s")
        skipped = [f"{k} ({v[9:]})" for k, v in self.checks.items() if v.startswith("skipped")]
        if not self.findings and not skipped:
            return head + ": all passed."
        if not self.findings:
            return head + f": nothing found, {len(skipped)} skipped: " + "; ".join(skipped)
        lines = [head + f": {len(self.findings)} found."]
        for f in self.findings:
            ev = ", ".join(f"{k}={_short(v)}" for k, v in f.evidence.items() if k != "source")
            lines += [f"[{f.severity}] {f.code}: {f.message}", f"    evidence: {ev}"]
            lines += [f"    {i}. {r}" for i, r in enumerate(f.remedies[:3], 1)]
        if skipped:
            lines.append("skipped: " + "; ".join(skipped))
        return "\n".join(lines)

    __repr__ = __str__


def _short(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list) and len(v) > 12:
        return f"[{', '.join(map(str, v[:12]))}, ...]"
    return v


_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


def preflight(model, train_loader, loss_fn, *, val_loader=None, optimizer=None, run=None,
              max_samples: int = 50_000) -> Preflight:
    """Check a training set-up before the first epoch: the mistakes cheaper to catch now than after
    fifty epochs.

    Checks (each finding's code): labels within the model's outputs (``label_out_of_range``); the
    outputs against the loss (``loss_output_mismatch``); a loss summed over the batch (``loss_summed``,
    information); the untrained model's loss (per term when summed) against the no-skill level of the task it infers
    (``initial_loss``); one small batch overfitted on a copy
    (``cannot_overfit_batch``); the inputs' scale per feature (``unnormalised_input``); the classes
    of each split (``class_imbalance``); validation samples that are training samples
    (``train_val_leak``); evaluation mode with dropout and batch norm (``eval_mode``); an unshuffled
    loader with grouped labels (``unshuffled_data``); trainable parameters the optimizer does not hold, or holds at
    learning rate 0 (``not_updated``); frozen layers (``frozen_layers``, information). docs/preflight.md gives each threshold and its source.

    Nothing of the caller's changes: the checks train a deep copy of the model, never step the
    optimizer, and put every random-number generator (Python, numpy, torch, the loaders') back.

    Args:
        model: a ``torch.nn.Module``.
        train_loader: the training ``DataLoader`` (batches of ``(inputs, target)``).
        loss_fn: the loss, ``loss_fn(model(inputs), target)`` (a ``torch.nn`` loss module).
        val_loader: the validation loader, for the split checks (classes, leak, evaluation mode).
        optimizer: the optimizer (only read: its class and learning rate go into the report, and its parameters
            are checked against the model's).
        run: a :class:`fitwatch.Run` to store the report with (its diagnosis and pages show it).
        max_samples: read at most this many samples of each loader for the data checks.

    Returns:
        A :class:`Preflight`; ``print(report)`` lists the findings with their evidence and fixes.

    Example:
        >>> import torch, fitwatch
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(256, 4) * 100; y = (x[:, 0] > 0).long()
        >>> loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
        >>> fitwatch.preflight(model, loader, torch.nn.CrossEntropyLoss()).codes
        ['initial_loss', 'unnormalised_input']
    """
    import torch

    check_arguments("fitwatch.preflight", model, train_loader, loss_fn, optimizer, val_loader=val_loader)
    t0 = time.perf_counter()
    checks: dict[str, str] = {}
    found: list[Finding] = []

    def note(code: str, f, skipped: str | None = None):
        checks[code] = f"skipped: {skipped}" if skipped else ("found" if f is not None else "ok")
        if f is not None:
            found.append(f)

    with kept_rng(train_loader, val_loader), warnings.catch_warnings():
        # torch's broadcasting warning on a target of the wrong shape: the finding says it, once
        warnings.filterwarnings("ignore", message="Using a target size", category=UserWarning)
        twin, _ = copy_setup(model, None)
        device = device_of(twin)
        first = next(iter(train_loader), None)
        if first is None:
            raise ValueError("fitwatch.preflight: the training loader gives no batches")
        x, y = split_batch(first, device)
        tr = D.collect(train_loader, max_samples)
        va = D.collect(val_loader, max_samples)
        if val_loader is not None and va is None:
            raise ValueError("fitwatch.preflight: the validation loader gives no batches; pass val_loader=None "
                             "to skip the checks that need it")
        twin.eval()
        with torch.no_grad():
            out = forward(twin, x)
        name = loss_name(loss_fn)
        task = infer(loss_fn, out if isinstance(out, torch.Tensor) else None, tr.y if tr is not None else None)
        splits = {"training": tr, "validation": va}

        known = task.kind != "unknown"
        unknown = None if known else f"a loss fitwatch does not know ({name}): pass a torch.nn loss or F.* function"
        note("nonfinite_data", D.nonfinite(splits))
        note("label_out_of_range", D.labels_in_range(splits, task) if known else None, unknown)
        mismatch = M.loss_output(name, out, y) if isinstance(out, torch.Tensor) else None
        init = None
        try:
            with torch.no_grad():
                init = float(loss_of(loss_fn, out, y))
        except (RuntimeError, ValueError, IndexError) as e:  # labels out of range say why already
            if checks["label_out_of_range"] != "found":
                mismatch = mismatch or M.loss_error(name, e)
        note("loss_output_mismatch", mismatch, None if known or mismatch is not None else unknown)
        broken = init is None or checks["label_out_of_range"] == "found"
        if broken:
            note("initial_loss", None, "the loss could not be computed")
            over, _ = M.overfit_batch(model, loss_fn, x, y, task, learn_only=True)  # a frozen model, whatever the loss
            note("cannot_overfit_batch", over, None if over is not None else "the loss could not be computed")
        else:
            init = M.first_step_loss(twin, loss_fn, x, y) or init  # what training starts from
            terms = M.summed_over(loss_fn, out, y)  # (an eleventh trial's summed loss started at 64 times ln 10)
            note("loss_summed", M.loss_summed(init, terms, task) if terms else None)
            note("initial_loss", M.initial_loss(init / (terms or 1), task),
                 None if M.expected_start(task) is not None else unknown or f"no expected start for {name}")
            over, measured = M.overfit_batch(model, loss_fn, x, y, task)
            note("cannot_overfit_batch", over, measured.get("skipped"))
        note("unnormalised_input", D.input_scale(tr, va) if tr is not None else None)
        classes = task.kind in ("classification", "binary") and checks["label_out_of_range"] != "found"
        note("class_imbalance", D.class_balance(splits, task) if classes else None,
             None if classes else "the labels are out of range" if task.kind in ("classification", "binary")
             else f"not a classifier ({task.kind})")
        note("train_val_leak", D.leak(tr, va), None if va is not None else "no val_loader")
        vx = split_batch(next(iter(val_loader)), device)[0] if val_loader is not None else x
        note("eval_mode", M.eval_mode(twin, vx))
        note("unshuffled_data", D.unshuffled(train_loader, D.first_labels(train_loader), task, tr) if known else None,
             unknown)
        keras = (type(model).__module__ or "").startswith("keras")  # (its batch norm statistics are frozen variables)
        note("not_updated", M.optimizer_params(model, optimizer),
             "a Keras model (fit trains every trainable weight)" if keras else None if optimizer is not None
             else "no optimizer")
        note("frozen_layers", None if keras else M.frozen_layers(model), "a Keras model" if keras else None)
    found.sort(key=lambda f: (_SEVERITY.get(f.severity, 3), CODES.index(f.code) if f.code in CODES else 99))
    report = Preflight(found, checks, _task_dict(task, optimizer), init if init is not None and math.isfinite(init)
                       else None, time.perf_counter() - t0)
    if run is not None:
        run.add_preflight(report)
    return report


def _task_dict(task: Task, optimizer) -> dict:
    d = {**task.to_dict(), "start": M.expected_start(task)}
    if optimizer is not None:
        d["optimizer"] = type(optimizer).__name__
        d["lr"] = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    return d
