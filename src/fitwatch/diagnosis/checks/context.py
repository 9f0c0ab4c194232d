"""What every check reads: one curve's statistics (:class:`CurveStats`), the shared
:class:`Context` of a diagnosis, the :class:`Verdict` a primary check returns, and the small robust
helpers they share (median, mean, centred moving average).

The thresholds themselves live in :mod:`fitwatch.diagnosis.thresholds` (``ctx.t``); the smoothing
window is ``Thresholds.smooth_window``, narrowed for a short curve by :func:`window`.

Example:
    >>> import numpy as np
    >>> c = CurveStats(np.array([1.0, 0.6, 0.4, 0.3, 0.25, 0.3, 0.35]), window=3)
    >>> c.n, c.imin, round(c.min, 4), round(c.drop, 4)
    (7, 4, 0.2833, 0.7167)
    >>> smooth(np.array([1.0, 2.0, 3.0, 10.0, 5.0]), 3).tolist()
    [1.0, 2.0, 5.0, 6.0, 5.0]
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np

from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.thresholds import Thresholds

MAD = 1.4826  # MAD -> standard deviation for normal noise
#: a ratio this large means its denominator is about 0 (a training error that reached 0): say so
#: instead of printing "4717583558010%"
NEAR_ZERO = 1e3


class CurveStats:
    """One curve's statistics, computed once: ``y`` (values), ``n``, ``s`` (smoothed), ``sigma``
    (robust epoch-to-epoch noise), ``start``, ``end`` (smoothed tail), ``imin`` and ``min`` (smoothed
    minimum), ``drop`` (start - min) and ``level`` (median magnitude of the second half).
    ``start`` may be given: the curve's first value when it was logged before the epochs judged."""

    __slots__ = ("y", "n", "s", "sigma", "start", "end", "imin", "min", "drop", "level")

    def __init__(self, y: np.ndarray, window: int, start: float | None = None):
        self.y = y
        n = self.n = y.size
        self.s = smooth(y, window)
        self.sigma = noise(y)
        self.start = max(float(self.s[0]), float(y[0]), float(y[1]) if n > 1 else -math.inf)
        if start is not None and math.isfinite(start) and start > self.start:
            self.start = float(start)  # the curve's first value, logged before the judged epochs
        tail = self.s[-max(1, min(3, n)):]
        self.end = float(mean(tail))
        self.imin = int(np.argmin(self.s))
        self.min = float(self.s[self.imin])
        self.drop = self.start - self.min
        self.level = float(median(np.abs(y[n // 2:]))) if n else 0.0


@dataclass(eq=False)
class Context:
    """One diagnosis's shared state, built once by :func:`fitwatch.diagnosis.analyze.diagnose_curves`
    and read by every check.

    Attributes:
        t: the thresholds.
        cl, cv: the training and validation curves' statistics on the judged epochs (None when absent).
        main: ``cv or cl``, the curve that decides the best epoch and "still improving".
        acc, vacc: training and validation accuracy on the judged epochs (None unless the monitored
            metric is the loss and the run has them).
        no_skill: the no-skill level of a curve's start (``ln k`` for a cross-entropy), or None; a
            function that always answers None when the monitored metric is not a loss.
        span: ``[first epoch, last epoch]`` of the run.
        E: the epoch number of an index of the run; Ek: of an index of the judged epochs.
        bad: the index of the first NaN or infinite value, or None.
        usable: how many epochs are judged (both curves present, before any NaN).
        best: the best epoch as an index of the judged epochs (None without a curve).
        stop: the run's early-stopping record (``Curves.stop``), or None.
        findings, notes: what preparing the curves found and noted (the primary finding goes first).
        stated_floor: the no-skill level is the run's own (``baseline`` or ``classes`` in its
            context), not guessed from a curve's start.
        r2: a logged coefficient of determination on the judged epochs (validation's, else
            training's), or None: R\u00b2 about 0 is a regression's no-skill level.
        chance: ``{"loss": ln k, "val_loss": ln k}`` for a curve whose loss and accuracy sit at
            chance (:func:`fitwatch.diagnosis.checks.chance.at_chance`); absent keys: not at chance.
        ranks: the name of a logged AUC (training's or validation's) that rose as an accuracy that
            learned does (:func:`fitwatch.diagnosis.checks.chance.accuracy_rose`), or None: the
            model learned to rank, whatever a frozen accuracy says.
        skill: the name of a logged validation AUC at ``AUC_SKILL`` (0.75) or more from its first evaluation
            (:func:`fitwatch.diagnosis.checks.chance.skilled`), or None: the model learned, whatever its loss did.
        lr_warming: ``(first, last)`` of a logged learning rate still warming up at the end
            (:func:`fitwatch.diagnosis.checks.schedule.warming_at_end`), or None.
        other_train: the training loss on the judged epochs when the judged curve has no training
            counterpart (an MLP's ``loss_curve_`` beside its validation score), else None: not
            compared with it, but a training loss that kept falling is what overfitting shows.
        lr_decayed: ``(last, peak)`` of a logged learning rate that had decayed to about 0 by the end
            (:func:`fitwatch.diagnosis.evidence.decayed_lr`), or None.
        r2_judged: ``r2`` is the judged curve itself (a fitted MLPRegressor's validation score): no skill is an
            R\u00b2 never above 0 there (one that rose to its ceiling of 0.04 learned what the data holds).
        train_only: what the run says it uses that acts in training only ("dropout 0.5", "input noise"), or "".
        smoothing: the run trains with label smoothing (context ``label_smoothing``): a loss held above 0 by
            it, its exp(-loss) no measure of doubt.
        classes: the class count the run states (context ``classes``), or None.
        scores: the run's validation scores other than the accuracy (recall, F1, AUC, balanced
            accuracy...) on the judged epochs, by name: what a rise of the accuracy is checked against.
        pretrained: a Trainer's log (context ``framework`` 'transformers'): a pretrained model fine-tuned, whose first
            logged value is no untrained start.
        penalty: the loss holds a regularisation penalty (context ``loss_penalty``: Keras adds an L2
            kernel regularizer's to it), so its first value far above ln k is no blow-up.
        unregularised: ``"none"`` (the Keras callback saw every regulariser: no dropout nor weight decay) or
            ``"none_watched"`` (``Run.watch`` saw no dropout module and no weight decay), else ``""``
            (:func:`fitwatch.diagnosis.evidence.unregularised`).
        error: the judged curves are a higher-is-better metric's errors (1 - accuracy, or the negated value): their
            gap is read in its own units, not as a ratio (a training error of 0 is no memorised training set).
        memo: what :meth:`once` computed, by name.
    """

    t: Thresholds
    cl: CurveStats | None
    cv: CurveStats | None
    main: CurveStats | None
    acc: np.ndarray | None
    vacc: np.ndarray | None
    no_skill: Callable[[float], float | None]
    span: list
    E: Callable[[int], int]
    Ek: Callable[[int], int]
    bad: int | None
    usable: int
    best: int | None
    stop: dict | None
    findings: list
    notes: list
    stated_floor: bool = False
    r2: np.ndarray | None = None
    chance: dict = field(default_factory=dict)
    ranks: str | None = None
    skill: str | None = None
    lr_decayed: tuple | None = None
    lr_warming: tuple | None = None
    other_train: np.ndarray | None = None
    penalty: bool = False
    r2_judged: bool = False
    train_only: str = ""
    scores: dict = field(default_factory=dict)
    smoothing: bool = False
    classes: int | None = None
    pretrained: bool = False
    unregularised: str = ""
    error: bool = False
    memo: dict = field(default_factory=dict)

    def once(self, name: str, compute: Callable[[], object]):
        """``compute()``, computed once for the run: two checks that read the same evidence share it."""
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]

    def why_collapsed(self) -> str:
        """What makes a model lose what it learned, its outputs back to a constant, as far as the run says."""
        lr = "a learning rate high enough to kill the units or throw the weights far"
        if self.unregularised == "none":  # (a tenth trial's transformer at Adam 3e-2, without either, was told to weaken them)
            return f"The run has no weight decay nor dropout: {lr} does this."
        if self.unregularised == "none_watched":
            return (f"Run.watch saw no dropout module and no weight decay: {lr} is the likely cause (a penalty added to "
                    f"the loss by hand, or F.dropout, which it cannot see, would do it too).")
        return ("A weight decay (or another penalty) far too strong pulls the weights to 0 and the outputs to a "
                "constant like this; so can a learning rate high enough to kill the units.")

    def collapse_remedies(self) -> list[str]:
        """The lead remedies of a collapse: the learning rate first when no regularisation was seen."""
        return ["lr_down", "less_regularisation"] if self.unregularised else ["less_regularisation", "lr_down"]


class Verdict(NamedTuple):
    """What a primary check found: the verdict, its finding, the findings that go with it (appended
    after the others), the overfitting onset (an index of the judged epochs), whether the finer
    signs (:mod:`fitwatch.diagnosis.checks.validation`, the plateau) are read after it, and the codes of
    the signs its own message already says (left out)."""

    code: str
    primary: Finding
    extra: Sequence[Finding] = ()
    onset: int | None = None
    signs: bool = True
    hides: tuple[str, ...] = ()


def primary(code, epochs, evidence, message, remedies) -> Finding:
    """The verdict's own finding, with the verdict's severity."""
    severity = {"good_fit": "info", "still_improving": "info", "underfitting": "warning",
                "overfitting": "warning"}.get(code, "critical")
    return Finding(code, severity, list(epochs), evidence, message, remedies)


def noise(y: np.ndarray) -> float:
    """The robust epoch-to-epoch noise of a curve (or a stretch of one), as a standard deviation:
    ``1.4826 * MAD(diff) / sqrt(2)``; 0 with fewer than two steps."""
    d = y[1:] - y[:-1]  # (np.diff, without its overhead)
    if d.size < 2:
        return 0.0
    return float(MAD * median(np.abs(d - median(d))) / math.sqrt(2.0))


def median(a) -> float:
    """np.median without its overhead (small arrays, no NaN: a curve's finite part)."""
    a = np.array(a, dtype=np.float64).ravel()
    a.sort()
    n = a.size
    return float(a[(n - 1) // 2] + a[n // 2]) / 2.0


def mean(a) -> float:
    """np.mean without its overhead."""
    a = np.asarray(a, dtype=np.float64)
    return float(a.sum()) / a.size


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average with the window shrinking at the edges (no phase shift)."""
    n = y.size
    w = min(window, n if n % 2 else n - 1)
    if w < 3:
        return y.astype(np.float64, copy=True)
    lo, hi, width = _spans(n, w)
    c = np.empty(n + 1)
    c[0] = 0.0
    y.cumsum(dtype=np.float64, out=c[1:])
    return (c[hi] - c[lo]) / width


@functools.lru_cache(maxsize=256)
def _spans(n: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bounds and widths of :func:`smooth`'s windows for ``n`` values (the same for every curve of
    that length: kept, read-only). Symmetric at the edges: both sides shrink equally, so the average
    stays centred."""
    h = w // 2
    i = np.arange(n)
    k = np.minimum(np.minimum(i, h), n - 1 - i)
    lo, hi = i - k, i + k + 1
    width = (hi - lo).astype(np.float64)
    for a in (lo, hi, width):
        a.flags.writeable = False
    return lo, hi, width


def window(n: int, t: Thresholds) -> int:
    """The smoothing window for a curve of ``n`` epochs: odd, at least 3, at most
    ``t.smooth_window``, and narrower for a short curve."""
    w = max(3, min(t.smooth_window, n // 8 * 2 + 1))
    return w if w % 2 else w + 1
