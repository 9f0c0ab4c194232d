"""The result of a diagnosis: a verdict, the best epoch, findings with evidence and remedies.

Example:
    >>> import fitwatch
    >>> d = fitwatch.diagnose({"loss": [1.0, 0.6, 0.4, 0.3, 0.25, 0.22, 0.2, 0.18, 0.16, 0.15],
    ...                        "val_loss": [1.0, 0.7, 0.55, 0.5, 0.52, 0.56, 0.6, 0.65, 0.7, 0.75]})
    >>> d.verdict, d.best_epoch, d.onset_epoch
    ('overfitting', 3, 3)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

VERDICTS = ("good_fit", "overfitting", "underfitting", "still_improving", "not_learning", "unstable", "diverged")
SEVERITIES = ("info", "warning", "critical")
#: the finding codes that name a cause (issue 13; later checks rely on them): mostly from the probes of
#: Run.watch (docs/probes.md), a few from the curves alone (lr_too_high of an unstable run...)
CAUSES = ("vanishing_gradient", "exploding_gradient", "dead_relu", "saturated_activation", "poor_init",
          "lr_too_high", "lr_too_low", "unnormalised_input", "unnormalised_target", "loss_output_mismatch",
          "class_imbalance", "label_problem", "too_few_epochs", "not_updated", "grads_not_zeroed", "grads_cleared",
          "no_gradient", "no_eval_mode", "no_train_mode", "weight_decay_too_high",
          "clip_too_tight", "small_batch_norm", "schedule_too_fast")

VERDICT_TEXT = {v: v.replace("_", " ") for v in VERDICTS}  # "good_fit" -> "good fit"
_SEVERITY_STYLE = {"info": "cyan", "warning": "yellow", "critical": "bold red"}
_VERDICT_STYLE = {
    "good_fit": "bold green", "overfitting": "bold yellow", "underfitting": "bold yellow",
    "still_improving": "bold blue", "not_learning": "bold red", "unstable": "bold red", "diverged": "bold red",
}


def _span(f, unit: str = "epoch") -> str:
    """When a finding holds: ``epochs 3–9`` (``evaluations 3–9``), or ``before training`` (fitwatch.preflight's)."""
    if not f.epochs:
        return "before training"
    return f"{unit} {f.epochs[0]}" if f.epochs[0] == f.epochs[-1] else f"{unit}s {f.epochs[0]}–{f.epochs[-1]}"


#: a point of the axis named in a message: "epoch 14", "epochs 3–9"; and "the remaining 35 epochs"
_AXIS_BEFORE = re.compile(r"\bepoch(s?) (?=\d)")
_AXIS_AFTER = re.compile(r"(\d |\d usable |\b(?:last|first|best|few|fewer) )epoch(s?)\b")


def in_units(findings: list["Finding"], unit: str) -> None:
    """Name the axis's points ``unit`` (``"evaluation"``: a Trainer's log evaluated in mid-epoch, one
    point per evaluation) where the messages number them ("by epoch 14; the remaining 35 epochs" ->
    "by evaluation 14; the remaining 35 evaluations"); "train for more epochs" and the remedies, which
    speak of training epochs, are left as they are.

    Example:
        >>> f = Finding("plateau", "info", [14, 49], {}, "95% of its progress by epoch 14; the remaining 35 epochs "
        ...             "added little, the last epoch too; train for more epochs")
        >>> in_units([f], "evaluation"); f.message
        '95% of its progress by evaluation 14; the remaining 35 evaluations added little, the last evaluation too; train for more epochs'
    """
    if unit == "epoch":
        return
    for f in findings:
        f.message = _AXIS_AFTER.sub(lambda m: m.group(1) + unit + m.group(2),
                                    _AXIS_BEFORE.sub(lambda m: f"{unit}{m.group(1)} ", f.message))


@dataclass
class Finding:
    """One thing the diagnosis found.

    Attributes:
        code: what it is (``overfitting``, ``val_below_train``, ``nan_detected``...).
        severity: ``info``, ``warning`` or ``critical``.
        epochs: ``[first, last]`` epoch the finding covers (source numbering).
        evidence: the numbers it rests on.
        message: one plain sentence.
        remedies: what to do, best fit first.
    """

    code: str
    severity: str
    epochs: list[int]
    evidence: dict
    message: str
    remedies: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"fitwatch: a finding's severity is one of {', '.join(SEVERITIES)}; got {self.severity!r}")

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        """The finding :meth:`to_dict` wrote (as stored with a run: ``info["preflight"]``...)."""
        return cls(d["code"], d["severity"], list(d.get("epochs") or []), dict(d.get("evidence") or {}),
                   d.get("message", ""), list(d.get("remedies") or []))

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "epochs": list(self.epochs),
                "evidence": _jsonable(self.evidence), "message": self.message, "remedies": list(self.remedies)}


@dataclass
class Diagnosis:
    """What a run's curves say.

    Attributes:
        verdict: one of ``good_fit``, ``overfitting``, ``underfitting``, ``still_improving``,
            ``not_learning``, ``unstable``, ``diverged``.
        best_epoch: the epoch whose weights to keep (lowest validation loss, noise-aware; the
            lowest training loss when there is no validation).
        onset_epoch: where overfitting began (None unless the verdict is overfitting).
        findings: the primary finding (same code as the verdict) first, then the others.
        source: where the curves came from.
        name: the run's name, when known.
        epochs: how many epochs were read.
        runs: for a source holding several runs, one Diagnosis per run (this object describes the
            last one).
    """

    verdict: str
    best_epoch: int | None
    onset_epoch: int | None
    findings: list[Finding]
    source: str = ""
    name: str | None = None
    epochs: int = 0
    monitor: str = "val_loss"
    notes: list[str] = field(default_factory=list)
    runs: list["Diagnosis"] = field(default_factory=list)
    unit: str = "epoch"  # what one point of the curves is: "evaluation" for a log evaluated in mid-epoch
    # the curves it was made from (set by diagnose_curves), for plot(); not part of to_dict()
    _curves: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"fitwatch: a verdict is one of {', '.join(VERDICTS)}; got {self.verdict!r}")

    @property
    def judged(self) -> str:
        """The curve the verdict was judged on: ``monitor``, or the training loss when the default
        ``val_loss`` was asked for and the run has no validation loss."""
        series = getattr(self._curves, "series", {})
        if self.monitor == "val_loss" and "val_loss" not in series and "loss" in series:
            return "loss"
        return self.monitor

    def to_dict(self) -> dict:
        """The JSON schema documented in docs/diagnosis.md."""
        out = {
            "verdict": self.verdict,
            "best_epoch": self.best_epoch,
            "onset_epoch": self.onset_epoch,
            "findings": [f.to_dict() for f in self.findings],
            "source": self.source,
            "name": self.name,
            "epochs": self.epochs,
            "monitor": self.monitor,
            "notes": list(self.notes),
            "unit": self.unit,
        }
        if self.runs:
            out["runs"] = [r.to_dict() for r in self.runs]
            # every run's verdict at the top level too: the fields above are the last run's only
            out["verdicts"] = {r.name or r.source: r.verdict for r in self.runs}
        return out

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)

    def plot(self, **kw):
        """The curves this diagnosis was made from, annotated with it (best epoch, onset, early stop).

        Args:
            **kw: ``smooth=``, ``log=``, ``title=`` as in :func:`fitwatch.plot.plot_curves`.

        Returns:
            A ``matplotlib.figure.Figure`` (needs matplotlib: ``pip install 'fitwatch[plot]'``); a
            source of several runs draws them overlaid.

        Raises:
            ValueError: a diagnosis built by hand, without its curves.

        Example:
            >>> import fitwatch
            >>> d = fitwatch.diagnose({"loss": [1.0, 0.6, 0.4, 0.3], "val_loss": [1.1, 0.7, 0.6, 0.65]})
            >>> fig = d.plot(smooth=0.6)
            >>> fig.axes[0].get_title(loc="left")
            'loss'
        """
        from fitwatch.show.plot import plot_curves

        runs = self.runs or [self]
        if any(r._curves is None for r in runs):
            raise ValueError("fitwatch: this Diagnosis holds no curves to plot; make it with fitwatch.diagnose() "
                             "or diagnose_curves()")
        return plot_curves([r._curves for r in runs], runs, **kw)

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def causes(self) -> list[Finding]:
        """The findings that name a cause (codes in :data:`CAUSES`), root causes first: what the
        probes of :meth:`fitwatch.Run.watch` saw inside the model, and the few the curves show alone."""
        return [f for f in self.findings if f.code in CAUSES
                and (f.evidence.get("source") != "preflight" or "explains" in f.evidence)]

    def __str__(self) -> str:
        head = f"{self.name or self.source}: {VERDICT_TEXT[self.verdict]}"
        if self.best_epoch is not None:
            head += f" (judged on {self.judged}, " if self.monitor else " ("
            head += f"best {self.unit} {self.best_epoch}"
            head += f", overfitting from {self.unit} {self.onset_epoch})" if self.onset_epoch is not None else ")"
        lines = [head]
        for f in self.findings:
            lines.append(f"- [{f.severity}] {f.code}: {f.message}")
            for r in f.remedies[:3]:
                lines.append(f"    * {r}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __rich_console__(self, console, options):
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        title = Text()
        title.append(f"{self.name or self.source}  ")
        title.append(VERDICT_TEXT[self.verdict].upper(), style=_VERDICT_STYLE[self.verdict])
        sub = [f"judged on {self.judged}"] if self.monitor else []
        if self.best_epoch is not None:
            sub.append(f"best {self.unit} {self.best_epoch}")
        if self.onset_epoch is not None:
            sub.append(f"overfitting from {self.unit} {self.onset_epoch}")
        sub.append(f"{self.epochs} {self.unit}{'' if self.epochs == 1 else 's'}")
        yield Panel(Text("  ·  ".join(sub)), title=title, title_align="left", expand=False)
        for f in self.findings:
            t = Table.grid(padding=(0, 1))
            t.add_column(justify="right", style="dim")
            t.add_column()
            head = Text()
            head.append(f"[{f.severity}] ", style=_SEVERITY_STYLE.get(f.severity, ""))
            head.append(f.code, style="bold")
            head.append(f"  {_span(f, self.unit)}", style="dim")
            t.add_row("", head)
            t.add_row("", Text(f.message))
            if f.evidence:
                t.add_row("evidence", Text(_evidence_text(f.evidence)))
            for i, r in enumerate(f.remedies, 1):
                t.add_row(f"{i}." if i > 1 else "do", Text(r))
            yield t
            yield Text("")
        for n in self.notes:
            yield Text(f"note: {n}", style="dim")

    def _repr_html_(self) -> str:  # Jupyter: verdict badge, a small plot, the findings (show/notebook.py)
        from fitwatch.show.notebook import diagnosis_html

        return diagnosis_html(self, self._curves)


def _evidence_text(evidence: dict) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in evidence.items())


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "item"):
        obj = obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return str(obj)
    return obj
