"""Early stopping: decide, epoch by epoch, when training should stop and which epoch to restore.

:class:`EarlyStopping` is framework-free (numpy and the standard library only): feed it each
epoch's values with :meth:`EarlyStopping.update` and it answers whether to stop now. It knows
three families of rules:

* the fitwatch default (``EarlyStopping()``), see ``docs/early_stopping.md``;
* ``patience=`` (criterion ``"patience"``): exactly Keras's ``EarlyStopping``;
* Prechelt's criteria from "Early Stopping -- But When?" (1998): ``"GL<alpha>"``,
  ``"PQ<alpha>"``, ``"UP<s>"``.

Whatever the rule, a NaN or infinite monitored value stops at once.

Example:
    >>> from fitwatch import EarlyStopping
    >>> stopper = EarlyStopping(patience=2)
    >>> for epoch, v in enumerate([0.9, 0.7, 0.6, 0.65, 0.62, 0.61]):
    ...     if stopper.update(epoch, {"loss": 1.0 - 0.1 * epoch, "val_loss": v}):
    ...         break
    >>> stopper.stopped_epoch, stopper.best_epoch, stopper.best_value
    (4, 2, 0.6)
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections import deque

__all__ = ["EarlyStopping"]

#: names that ``mode="auto"`` maximises (substrings of the metric name, ``val_`` removed)
_HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "f1", "precision", "recall")
_CRITERION = re.compile(r"^(GL|PQ|UP)(\d+(?:\.\d*)?|\.\d+)$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


class EarlyStopping:
    """Stop training when the monitored value has stopped improving.

    Call :meth:`update` at the end of every epoch with that epoch's values; it returns True when
    training should stop. :attr:`best_epoch` is then the epoch whose weights to restore (restore
    them even when training ran to the end without a stop).

    The default (no ``patience``, no ``criterion``) stops when the best value has not improved by
    more than 0.1% within the patience, 5 epochs for a smooth curve and up to 10 for a noisy one
    (set by the curve's own epoch-to-epoch noise) and 15 for a curve, not smooth, that has not yet
    improved on its first value, unless a least-squares line through the last 4 epochs still
    falls significantly; and at once when a loss diverges (above its first value and
    3x its best, after the best came below 90% of the first value, with the training loss, when
    logged, climbing too). On the public LCBench and TaskSet curves and fitwatch's labelled runs it
    stops with less regret than ``patience=5`` after fewer epochs (``docs/early_stopping.md``).

    Where ``patience=`` mode differs from Keras, on purpose: a NaN or infinite value stops at once
    (Keras waits out its patience); ``mode="auto"`` decides from the name (Keras asks the compiled
    metric, and raises when it cannot tell); ``best_epoch`` and ``stopped_epoch`` are None, not 0,
    until known; ``min_delta`` may be relative (``"1%"``).

    Args:
        monitor: the key of ``logs`` to watch (default ``"val_loss"``).
        mode: ``"min"``, ``"max"`` or ``"auto"``: ``auto`` maximises names containing accuracy,
            acc, auc, f1, precision or recall (``val_`` removed) and minimises the rest.
        min_delta: the least change that counts as an improvement: a number (absolute, as in
            Keras), or a string such as ``"1%"`` (relative to the best value so far).
        patience: epochs without improvement before stopping, exactly as Keras's
            ``EarlyStopping(patience=...)``; giving it selects ``criterion="patience"``.
        baseline: (patience mode) the value to beat: the wait counter restarts only on an epoch
            that improves on both the best so far and the baseline, as in Keras.
        start_from_epoch: epochs before this one are ignored (a warm-up), as in Keras.
        criterion: ``None`` (the fitwatch default when ``patience`` is None), ``"patience"``,
            or one of Prechelt's criteria: ``"GL<alpha>"`` (stop when the generalisation loss,
            100 * (value / best - 1), exceeds alpha), ``"PQ<alpha>"`` (stop at the end of a strip
            when the generalisation loss over the training progress exceeds alpha) or ``"UP<s>"``
            (stop when the value rose at the end of ``s`` successive strips), e.g. ``"GL5"``,
            ``"PQ0.5"``, ``"UP3"``.
        strip: the strip length k, in epochs, of PQ and UP (default 5).
        verbose: print the reason when stopping.

    Attributes:
        best_epoch: the epoch of the best value so far (the weights to restore), None before the
            first monitored epoch. In patience mode exactly Keras's ``best_epoch``; otherwise the
            epoch of the lowest (``max`` mode: highest) value, improvements smaller than
            ``min_delta`` not counting.
        best_value: the monitored value at ``best_epoch``.
        stopped_epoch: the epoch at which :meth:`update` returned True, else None.
        reason: why training stopped, a sentence with the numbers; None while it goes on.
        improved: True when the last :meth:`update` set a new best (copy the weights then).
        wait: epochs since the last improvement (patience mode: Keras's ``wait`` counter).

    Raises:
        ValueError: at the first :meth:`update`, for an unknown criterion or mode, a bad
            ``min_delta``, ``patience`` or ``strip``, and, outside patience mode, a monitor that
            is not in ``logs`` (the message lists the keys there) or, for PQ, no training
            counterpart. In patience mode a missing monitor only warns and the epoch is skipped,
            as Keras does; in the other modes an epoch whose logs hold no ``val_`` value at all
            (validation run every few epochs) is skipped quietly.

    Example:
        >>> stopper = EarlyStopping()  # the fitwatch default
        >>> val = [round(0.5 + 0.002 * (e - 8) ** 2, 4) for e in range(30)]  # lowest at epoch 8
        >>> for epoch, v in enumerate(val):
        ...     if stopper.update(epoch, {"loss": 1.0 - 0.02 * epoch, "val_loss": v}):
        ...         break
        >>> stopper.stopped_epoch, stopper.best_epoch
        (16, 8)
        >>> print(stopper.reason)  # doctest: +NORMALIZE_WHITESPACE
        val_loss improved by 0% (not more than 0.1%) in the last 8 epochs and is not trending down
        (patience 8, set by its recent epoch-to-epoch variation of 0.48% of its level); best 0.5 at epoch 8
        >>> stopper.to_dict()["criterion"]
        'fitwatch'

        >>> stopper = EarlyStopping(criterion="GL5")
        >>> [stopper.update(e, {"val_loss": v}) for e, v in enumerate([1.0, 0.8, 0.82, 0.85])]
        [False, False, False, True]
        >>> stopper.reason
        'val_loss is 6.2% above its best (GL=6.2 > 5); best 0.8 at epoch 1'
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, patience=None, baseline=None,
                 start_from_epoch=0, criterion=None, strip=5, verbose=False):
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.patience = patience
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.criterion = criterion
        self.strip = strip
        self.verbose = verbose
        self.reset()

    # -- state --------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything seen, for reuse in another training run (parameters are kept)."""
        self.best_epoch = None
        self.best_value = None
        self.stopped_epoch = None
        self.reason = None
        self.improved = False
        self.wait = 0
        self._ready = False
        self._n = 0  # monitored epochs seen
        self._lowest = None  # the raw best (oriented: lower is better) for Prechelt's E_opt
        self._strip_train = []  # training values in the current strip (PQ)
        self._last_strip_end = None  # value at the end of the previous strip (UP)
        self._ups = 0  # successive strips whose end rose (UP)
        self._state = None  # the default criterion's running state

    def to_dict(self) -> dict:
        """The parameters and the outcome, JSON-able (for a run's record)."""
        return {
            "monitor": self.monitor, "mode": self._direction_name(), "criterion": self._criterion_name(),
            "best_epoch": self.best_epoch, "best_value": self.best_value, "stopped_epoch": self.stopped_epoch,
            "reason": self.reason, "min_delta": _plain(self.min_delta), "patience": _plain(self.patience),
            "baseline": _plain(self.baseline), "start_from_epoch": _plain(self.start_from_epoch),
            "strip": _plain(self.strip),
        }

    def __repr__(self) -> str:
        return f"EarlyStopping(monitor={self.monitor!r}, criterion={self._criterion_name()!r})"

    # -- set-up (first use) ----------------------------------------------------------------------------
    def _setup(self) -> None:
        crit = self.criterion
        if self.patience is not None:
            if crit not in (None, "patience"):
                raise ValueError(f"EarlyStopping: patience={self.patience!r} and criterion={crit!r} "
                                 f"contradict; give patience= alone, or criterion= alone")
            if not _whole(self.patience) or self.patience < 0:
                raise ValueError(f"EarlyStopping: patience={self.patience!r}; pass a whole number >= 0")
            kind, param = "patience", self.patience
        elif crit is None:
            kind, param = "fitwatch", None
        elif crit == "patience":
            raise ValueError("EarlyStopping: criterion='patience' needs patience=, e.g. patience=10")
        else:
            m = _CRITERION.match(str(crit).strip())
            if not m:
                raise ValueError(f"EarlyStopping: unknown criterion {crit!r}; use None (the fitwatch default), "
                                 f"'patience' with patience=, or Prechelt's 'GL5', 'PQ0.5', 'UP3'")
            kind, param = m.group(1).upper(), float(m.group(2))
            if kind == "UP":
                if param != int(param) or param < 1:
                    raise ValueError(f"EarlyStopping: criterion {crit!r}: UP counts strips, a whole number >= 1 "
                                     f"such as 'UP3'")
                param = int(param)
        if self.mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode={self.mode!r}; use 'auto', 'min' or 'max'")
        if kind in ("PQ", "UP") and (not _whole(self.strip) or self.strip < 1):
            raise ValueError(f"EarlyStopping: strip={self.strip!r}; pass the strip length in epochs, a whole "
                             f"number >= 1 (Prechelt used 5)")
        if self.baseline is not None and kind != "patience":
            raise ValueError(f"EarlyStopping: baseline= applies to patience mode only; pass patience= with it, "
                             f"or leave baseline out for criterion {self._criterion_name(kind, param)!r}")
        self._abs_delta, self._rel_delta = _parse_min_delta(self.min_delta)
        self._kind, self._param = kind, param
        self._sign = -1.0 if self._maximise() else 1.0  # oriented value = sign * value: lower is better
        self._baseline = None if self.baseline is None else float(self.baseline)
        self._ready = True

    def _maximise(self) -> bool:
        if self.mode == "auto":
            name = str(self.monitor).lower().removeprefix("val_")
            return any(w in name for w in _HIGHER_IS_BETTER)
        return self.mode == "max"

    def _direction_name(self) -> str:
        if self.mode not in ("auto", "min", "max"):
            return str(self.mode)
        return "max" if self._maximise() else "min"

    def _criterion_name(self, kind=None, param=None) -> str:
        """A readable name: ``fitwatch``, ``patience=5``, ``GL5``, ``PQ0.5``, ``UP3``."""
        if kind is None:
            if self.patience is not None:
                return f"patience={self.patience}"
            if self.criterion is None:
                return "fitwatch"
            m = _CRITERION.match(str(self.criterion).strip())
            return f"{m.group(1).upper()}{float(m.group(2)):g}" if m else str(self.criterion)
        if kind in ("patience", "fitwatch"):
            return self._criterion_name()
        return f"{kind}{param:g}"

    # -- the epoch ------------------------------------------------------------------------------------
    def update(self, epoch: int, logs: dict) -> bool:
        """Take one epoch's values; True means stop training now.

        Args:
            epoch: the epoch number (Keras counts from 0).
            logs: that epoch's values, e.g. ``{"loss": 0.31, "val_loss": 0.35}``; numbers, numpy
                scalars or 0-d tensors.
        """
        if not self._ready:
            self._setup()
        self.improved = False
        if self.stopped_epoch is not None:
            return True
        logs = logs or {}
        raw = logs.get(self.monitor)
        if raw is None:
            self._missing(logs)
            return False
        value = float(raw)
        if not math.isfinite(value):  # even during the warm-up: nothing after it can be used
            what = "NaN" if math.isnan(value) else "infinite"
            best = "" if self.best_epoch is None else f"; best {self.best_value:.4g} at epoch {self.best_epoch}"
            return self._stop(epoch, f"{self.monitor} became {what} at epoch {epoch}: training has diverged{best}")
        if epoch < self.start_from_epoch:
            return False
        self._n += 1
        x = self._sign * value  # lower is better from here on
        # Keras's improvement test: better than the best by more than min_delta (the first value is)
        if self.best_value is None or self._better(value, self.best_value):
            self.best_value, self.best_epoch = value, epoch
            self.improved = True
        if self._lowest is None or x < self._lowest:
            self._lowest = x
        if self._kind == "patience":
            return self._patience(epoch, value)
        if self._kind == "fitwatch":
            return self._fitwatch(epoch, x, logs)
        return self._prechelt(epoch, x, logs)

    def _better(self, value: float, reference: float) -> bool:
        """Keras's test, with its arithmetic: ``value`` beats ``reference`` by more than min_delta."""
        delta = self._abs_delta + self._rel_delta * abs(reference)
        return value + delta < reference if self._sign > 0 else value - delta > reference

    def _missing(self, logs: dict) -> None:
        msg = (f"EarlyStopping: monitor {self.monitor!r} is not in this epoch's logs (available: "
               f"{', '.join(map(str, logs)) or 'none'}); pass monitor= with one of those")
        if self._kind == "patience":
            warnings.warn(msg + "; this epoch is skipped, as Keras does", stacklevel=3)
        elif not (str(self.monitor).startswith("val_") and not any(str(k).startswith("val_") for k in logs)):
            raise ValueError(msg)
        # else: no validation at all this epoch (validated every few epochs): skipped

    def _stop(self, epoch: int, reason: str) -> bool:
        self.stopped_epoch = epoch
        self.reason = reason
        if self.verbose:
            print(f"fitwatch EarlyStopping: epoch {epoch}: {reason}")
        return True

    def _best_text(self) -> str:
        return f"best {self.best_value:.4g} at epoch {self.best_epoch}"

    # -- Keras ------------------------------------------------------------------------------------------
    def _patience(self, epoch: int, value: float) -> bool:
        # keras.callbacks.EarlyStopping.on_epoch_end, step for step
        self.wait += 1
        if self.improved:
            if self._baseline is None or self._better(value, self._baseline):
                self.wait = 0
            return False
        if self.wait >= self._param and epoch > 0:
            delta = self.min_delta if isinstance(self.min_delta, str) else f"{abs(float(self.min_delta)):g}"
            if self._baseline is not None and not self._better(self.best_value, self._baseline):
                why = f"{self.monitor} has not improved on the baseline {self._baseline:g}"
            else:
                why = f"{self.monitor} has not improved by more than {delta}"
            return self._stop(epoch, f"{why} for {self.wait} epochs (patience={self._param}); {self._best_text()}")
        return False

    # -- Prechelt ---------------------------------------------------------------------------------------
    def _prechelt(self, epoch: int, x: float, logs: dict) -> bool:
        kind, alpha, k = self._kind, self._param, self.strip
        self.wait = 0 if self.improved else self.wait + 1
        gl = _generalisation_loss(x, self._lowest)
        if kind == "GL":
            if gl > alpha:
                return self._stop(epoch, f"{self.monitor} is {gl:.2g}% {self._worse()} its best "
                                         f"(GL={gl:.2g} > {alpha:g}); {self._best_text()}")
            return False
        if kind == "PQ":
            self._strip_train.append(self._training_value(logs))
            if self._n % k:
                return False
            strip, self._strip_train = self._strip_train, []
            progress = _training_progress(strip)
            pq = gl / progress if progress > 0 else (math.inf if gl > 0 else 0.0)
            if pq > alpha:
                return self._stop(epoch, f"{self.monitor} is {gl:.2g}% {self._worse()} its best while training "
                                         f"progressed {progress:.3g} per mille over the last {k} epochs "
                                         f"(PQ={pq:.3g} > {alpha:g}); {self._best_text()}")
            return False
        # UP: the value at the end of this strip is worse than at the end of the previous one
        if self._n % k:
            return False
        prev, self._last_strip_end = self._last_strip_end, x
        if prev is None:
            return False
        self._ups = self._ups + 1 if x > prev else 0
        if self._ups >= alpha:
            return self._stop(epoch, f"{self.monitor} got worse at the end of {self._ups} successive strips of "
                                     f"{k} epochs (UP{alpha}); {self._best_text()}")
        return False

    def _worse(self) -> str:
        return "below" if self._sign < 0 else "above"

    def _training_value(self, logs: dict) -> float:
        """The training counterpart of the monitor, oriented like it (lower is better)."""
        name = str(self.monitor).removeprefix("val_")
        key = name if name != self.monitor and name in logs else "loss" if "loss" in logs else None
        if key is None:
            wanted = repr(name) if name == "loss" else f"({name!r} or 'loss')"
            raise ValueError(f"EarlyStopping: criterion {self._criterion_name()!r} needs the training value "
                             f"{wanted} in logs (available: {', '.join(map(str, logs)) or 'none'}); "
                             f"log it, or use a GL or UP criterion")
        v = float(logs[key])
        return self._sign * v if key == name else v

    # -- the fitwatch default ------------------------------------------------------------------------
    def _fitwatch(self, epoch: int, x: float, logs: dict) -> bool:
        """Noise-adaptive patience on relative progress, a trend hold and a divergence stop (see
        ``docs/early_stopping.md``): O(PATIENCE_UNMOVED) memory, O(NOISE_WINDOW) work per epoch."""
        st = self._state
        if st is None:
            st = self._state = _FitwatchState(epoch, x, self._training_loss(logs))
        t = self._n - 1  # monitored epochs before this one
        best = self._sign * self.best_value
        st.bests.append(best)
        w = st.window
        w.append(x)
        if t >= 2:  # noise: the second difference removes a linear trend
            st.d2.append(abs(w[-1] - 2.0 * w[-2] + w[-3]))
        self.wait = 0 if self.improved else self.wait + 1
        scale = max(abs(best), 1e-12)
        noise = _median(st.d2) / _MEDIAN_D2_PER_SIGMA / scale if t >= 2 else 0.0
        # not improved on its first value yet, and not smooth: it may be coming back from an early rise
        unmoved = self.best_epoch == st.first_epoch and noise > NOISE_SMOOTH
        patience = PATIENCE_UNMOVED if unmoved else _noise_patience(noise)

        # divergence: (min mode) far above the best and above the start after having learned, with the
        # training loss (when logged) climbing too
        loss = self._training_loss(logs)
        if self._sign > 0 and x > st.first and x > DIVERGE_FACTOR * best and best < LEARNED * st.first:
            if st.loss_first is None:
                with_loss = ""
            elif loss is not None and loss > st.loss_first and loss > DIVERGE_FACTOR * st.loss_best:
                with_loss = f", and the training loss climbed with it to {loss:.4g}"
            else:
                with_loss = None
            if with_loss is not None:
                return self._stop(epoch, f"{self.monitor} climbed to {x:.4g}, {x / best:.3g}x its best and above its "
                                         f"first value {st.first:.4g}{with_loss}: training has diverged; "
                                         f"{self._best_text()}")
        if loss is not None and st.loss_first is not None and loss < st.loss_best:
            st.loss_best = loss

        if t < patience:
            return False
        before = st.bests[-1 - patience]
        gain = (before - best) / scale
        if gain > MIN_GAIN:
            return False
        if _falling(st.window) is not None:
            return False
        variation = f"epoch-to-epoch variation of {100 * noise:.2g}% of its level"
        why = (f"as its first value is still its best, with an {variation}" if unmoved else
               f"set by its recent {variation}")
        return self._stop(epoch, f"{self.monitor} improved by {100 * max(gain, 0.0):.2g}% (not more than "
                                 f"{100 * MIN_GAIN:g}%) in the last {patience} epochs and is not trending "
                                 f"{'down' if self._sign > 0 else 'up'} (patience {patience}, {why}); "
                                 f"{self._best_text()}")

    def _training_loss(self, logs: dict) -> float | None:
        """The training loss of this epoch for the divergence test, None when not logged (or monitored)."""
        if self.monitor == "loss" or logs.get("loss") is None:
            return None
        v = float(logs["loss"])
        return v if math.isfinite(v) else None


#: the default criterion's constants (docs/early_stopping.md explains them and how they were chosen)
PATIENCE_SMOOTH = 5  # epochs without MIN_GAIN progress before stopping a smooth curve...
PATIENCE_NOISY = 10  # ...and a noisy one; log-linear in between
PATIENCE_UNMOVED = 15  # ...and a curve, not smooth, whose best is still its first value
NOISE_SMOOTH = 0.001  # relative epoch-to-epoch noise at or below which a curve counts as smooth...
NOISE_NOISY = 0.01  # ...and at or above which as noisy
NOISE_WINDOW = 8  # the noise estimate: the median |second difference| over this many recent epochs
MIN_GAIN = 0.001  # progress: the best improved by more than this fraction within the patience
TREND_WINDOW = 4  # a least-squares line through the last epochs...
TREND_T = 2.0  # ...falling by more than this many standard errors...
TREND_MIN = 0.002  # ...and more than this fraction of the level per epoch holds the stop off
DIVERGE_FACTOR = 3.0  # diverged: above the first value and this many times the best...
LEARNED = 0.9  # ...after the best has come below this fraction of the first value
#: median |second difference| of independent noise of standard deviation sigma, in sigmas: the second
#: difference has standard deviation sqrt(6) sigma, and the median |N(0, 1)| is 0.6745
_MEDIAN_D2_PER_SIGMA = 0.6745 * math.sqrt(6.0)


class _FitwatchState:
    """The default criterion's running state."""

    __slots__ = ("first_epoch", "first", "d2", "bests", "window", "loss_first", "loss_best")

    def __init__(self, epoch: int, x: float, loss: float | None):
        self.first_epoch = epoch
        self.first = x
        self.d2 = deque(maxlen=NOISE_WINDOW)  # the last |second differences|
        self.bests = deque(maxlen=max(PATIENCE_NOISY, PATIENCE_UNMOVED) + 1)
        self.window = deque(maxlen=max(TREND_WINDOW, 3))
        self.loss_first = self.loss_best = loss


def _median(values) -> float:
    """The median of a few numbers, as ``statistics.median`` gives it (which ``import fitwatch``
    need not pay to import)."""
    s = sorted(values)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2.0


def _noise_patience(noise: float) -> int:
    """PATIENCE_SMOOTH for a relative noise up to NOISE_SMOOTH, PATIENCE_NOISY from NOISE_NOISY,
    log-linear in between."""
    if noise <= NOISE_SMOOTH:
        return PATIENCE_SMOOTH
    if noise >= NOISE_NOISY:
        return PATIENCE_NOISY
    f = math.log(noise / NOISE_SMOOTH) / math.log(NOISE_NOISY / NOISE_SMOOTH)
    return PATIENCE_SMOOTH + round((PATIENCE_NOISY - PATIENCE_SMOOTH) * f)


def _falling(values) -> float | None:
    """The per-epoch slope of a least-squares line through ``values`` when it falls significantly
    (more than TREND_T standard errors and TREND_MIN of the level per epoch), else None. Pure Python:
    it runs every epoch on a handful of values."""
    n = len(values)
    if n < TREND_WINDOW:
        return None
    mean = sum(values) / n
    xs = [i - (n - 1) / 2.0 for i in range(n)]
    sxx = sum(x * x for x in xs)
    slope = sum(x * (v - mean) for x, v in zip(xs, values)) / sxx
    resid = sum((v - mean - slope * x) ** 2 for x, v in zip(xs, values))
    se = math.sqrt(resid / (n - 2) / sxx)
    if slope < -TREND_T * se and -slope > TREND_MIN * abs(mean):
        return slope
    return None


def _whole(value) -> bool:
    """A whole number (numpy integers too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _plain(value):
    """A parameter as JSON can hold it (numpy numbers as Python ones)."""
    if _whole(value):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def _parse_min_delta(value) -> tuple[float, float]:
    """``min_delta`` as (absolute, relative): ``0.001`` -> (0.001, 0); ``"1%"`` -> (0, 0.01)."""
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if not m:
            raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a number (absolute) or a percentage "
                             f"string such as '1%' or '0.5%' (relative to the best value)")
        return 0.0, float(m.group(1)) / 100.0
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a number or a percentage such as '1%'") from None
    if not math.isfinite(v):
        raise ValueError(f"EarlyStopping: min_delta={value!r}; pass a finite number or a percentage such as '1%'")
    return abs(v), 0.0  # Keras takes abs(min_delta)


def _generalisation_loss(x: float, lowest: float) -> float:
    """Prechelt's GL in percent: how far ``x`` is above the lowest value (lower is better), relative."""
    if x <= lowest:
        return 0.0
    return 100.0 * (x - lowest) / abs(lowest) if lowest else math.inf


def _training_progress(strip: list[float]) -> float:
    """Prechelt's P_k in per mille: how much the mean of a strip of training values exceeds its
    lowest value, relative; large while training still makes progress."""
    lo = min(strip)
    mean = sum(strip) / len(strip)
    return 1000.0 * (mean - lo) / abs(lo) if lo else (math.inf if mean > lo else 0.0)
