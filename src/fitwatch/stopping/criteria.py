"""The criteria of :class:`fitwatch.EarlyStopping` besides Keras's patience: the fitwatch default
(:class:`NoiseAware`) and Prechelt's GL, PQ and UP (:class:`Prechelt`).

Each criterion keeps its own running state. The rule hands it every monitored epoch's value,
oriented so that lower is better, and the criterion answers why training should stop now (a
sentence with the numbers, to which the rule appends the best epoch) or None. ``state_dict()`` and
``load_state_dict()`` give that state as plain JSON-able data, so that a rule can be resumed in
another process (:meth:`fitwatch.EarlyStopping.state_dict`). Standard library only.

Example:
    >>> gl = Prechelt("GL", 5.0, strip=5, monitor="val_loss", sign=1.0, name="GL5")
    >>> gl.step(3, 0.85, lowest=0.8, n=4, logs={"val_loss": 0.85})
    'val_loss is 6.2% above its best (GL=6.2 > 5)'
"""

from __future__ import annotations

import math
from collections import deque

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
#: with the run's planned epochs known (``EarlyStopping(max_epochs=)``, or filled in by the loop): the
#: patience is at most PLAN_SHARE of them, and the first-value patience UNMOVED_SHARE, never under PLAN_MIN;
#: a patience so cut does not stop while a line through the values of the patience it cut still falls
PLAN_SHARE = 0.15
UNMOVED_SHARE = 0.3
PLAN_MIN = 3
#: median |second difference| of independent noise of standard deviation sigma, in sigmas: the second
#: difference has standard deviation sqrt(6) sigma, and the median |N(0, 1)| is 0.6745
_MEDIAN_D2_PER_SIGMA = 0.6745 * math.sqrt(6.0)


class NoiseAware:
    """The fitwatch default: noise-adaptive patience on relative progress, a trend hold and a
    divergence stop (``docs/early_stopping.md``): O(PATIENCE_UNMOVED) memory, O(NOISE_WINDOW) work
    per epoch.

    Args:
        monitor: the monitored key (for the reasons, and to leave out the training loss when it is
            the monitor).
        sign: 1.0 when lower is better, -1.0 when higher is.
        max_epochs: the epochs the run plans, or None: the patience is then at most PLAN_SHARE of
            the monitored epochs that makes from the first one on (the spacing of the epoch numbers
            seen counts: a validation every 2 epochs plans half as many), at least PLAN_MIN, and
            the last planned check never stops.
    """

    def __init__(self, monitor: str, sign: float, max_epochs: int | None = None):
        self.monitor, self.sign, self.max_epochs = monitor, sign, max_epochs
        self.first_epoch = None  # the first monitored epoch (None: none yet)
        self.first = None  # its oriented value
        self.d2 = deque(maxlen=NOISE_WINDOW)  # the last |second differences|
        self.bests = deque(maxlen=max(PATIENCE_NOISY, PATIENCE_UNMOVED) + 1)
        self.window = deque(maxlen=max(TREND_WINDOW, 3))
        self.recent = deque(maxlen=PATIENCE_UNMOVED)  # the values of the patience a plan capped (its trend hold)
        self.loss_first = self.loss_best = None

    def step(self, epoch: int, x: float, best: float, best_epoch: int, n: int, logs: dict) -> str | None:
        """One monitored epoch: ``x`` its oriented value, ``best`` the oriented best so far (this
        epoch included), ``n`` the monitored epochs so far (this one included). Returns why to stop,
        or None."""
        if self.first_epoch is None:
            self.first_epoch, self.first = epoch, x
            self.loss_first = self.loss_best = training_loss(self.monitor, logs)
        t = n - 1  # monitored epochs before this one
        self.bests.append(best)
        w = self.window
        w.append(x)
        self.recent.append(x)
        if t >= 2:  # noise: the second difference removes a linear trend
            self.d2.append(abs(w[-1] - 2.0 * w[-2] + w[-3]))
        scale = max(abs(best), 1e-12)
        noise = _median(self.d2) / _MEDIAN_D2_PER_SIGMA / scale if t >= 2 else 0.0
        # not improved on its first value yet, and not smooth: it may be coming back from an early rise
        unmoved = best_epoch == self.first_epoch and noise > NOISE_SMOOTH
        patience = uncapped = PATIENCE_UNMOVED if unmoved else noise_patience(noise)
        checks, spacing, last = self._plan(epoch, n) or (None, 1.0, False)
        if last:
            return None  # the last planned check: a stop would save nothing
        if checks is not None:
            patience = min(patience, max(PLAN_MIN, int((UNMOVED_SHARE if unmoved else PLAN_SHARE) * checks)))

        # divergence: (min mode) far above the best and above the start after having learned, with the
        # training loss (when logged) climbing too
        loss = training_loss(self.monitor, logs)
        first = self.first
        if self.sign > 0 and x > first and x > DIVERGE_FACTOR * best and best < LEARNED * first:
            if self.loss_first is None:
                with_loss = ""
            elif loss is not None and loss > self.loss_first and loss > DIVERGE_FACTOR * self.loss_best:
                with_loss = f", and the training loss climbed with it to {loss:.4g}"
            else:
                with_loss = None
            if with_loss is not None:
                return (f"{self.monitor} climbed to {x:.4g}, {x / best:.3g}x its best and above its first value "
                        f"{first:.4g}{with_loss}: training has diverged")
        if loss is not None and self.loss_first is not None and loss < self.loss_best:
            self.loss_best = loss

        if t < patience:
            return None
        gain = (self.bests[-1 - patience] - best) / scale
        if gain > MIN_GAIN or falling(self.window) is not None:
            return None
        if patience < uncapped and falling(list(self.recent)[-uncapped:]) is not None:
            return None  # a plan's shorter patience: not while the values of the patience it cut still fall
        variation = f"epoch-to-epoch variation of {100 * noise:.2g}% of its level"
        why = (f"as its first value is still its best, with an {variation}" if unmoved else
               f"set by its recent {variation}")
        unit = "epochs" if spacing == 1 else "validations"
        if patience < uncapped:
            share = UNMOVED_SHARE if unmoved else PLAN_SHARE
            floor = f", and no fewer than {PLAN_MIN}" if share * checks < PLAN_MIN else ""
            why += (f", at most {100 * share:g}% of the {checks:.3g} planned {unit}"
                    f"{'' if spacing == 1 else f' (of {self.max_epochs} epochs)'}{floor}")
        return (f"{self.monitor} improved by {100 * max(gain, 0.0):.2g}% (not more than {100 * MIN_GAIN:g}%) in "
                f"the last {patience} {unit}{'' if spacing == 1 else f' ({patience * spacing:.3g} epochs)'} and is "
                f"not trending {'down' if self.sign > 0 else 'up'} (patience {patience}, {why})")

    def _plan(self, epoch: int, n: int) -> tuple[float, float, bool] | None:
        """(the monitored epochs the plan makes, from the first one on; the epochs between two of them; whether
        this is the last of them), or None without a plan (or with one this epoch is already past)."""
        if self.max_epochs is None or epoch >= self.max_epochs:
            return None
        spacing = (epoch - self.first_epoch) / (n - 1) if n > 1 and epoch > self.first_epoch else 1.0
        return (self.max_epochs - self.first_epoch) / spacing, spacing, epoch + spacing > self.max_epochs - 1

    def state_dict(self) -> dict:
        """The running state, JSON-able (non-finite numbers as strings)."""
        return {"first_epoch": self.first_epoch, "first": number(self.first), "d2": [number(v) for v in self.d2],
                "bests": [number(v) for v in self.bests], "window": [number(v) for v in self.window],
                "recent": [number(v) for v in self.recent],
                "loss_first": number(self.loss_first), "loss_best": number(self.loss_best)}

    def load_state_dict(self, state: dict) -> None:
        """Take back what :meth:`state_dict` gave (a KeyError or TypeError when it is damaged)."""
        first_epoch = state["first_epoch"]
        self.first_epoch = None if first_epoch is None else int(first_epoch)
        self.first = unnumber(state["first"])
        for name in ("d2", "bests", "window", "recent"):
            values = state.get(name, []) if name == "recent" else state[name]  # (saved before plans: none)
            getattr(self, name).clear()
            getattr(self, name).extend(unnumber(v) for v in values)
        self.loss_first, self.loss_best = unnumber(state["loss_first"]), unnumber(state["loss_best"])


class Prechelt:
    """Prechelt's criteria from "Early Stopping -- But When?" (1998): ``GL`` (generalisation loss
    above alpha), ``PQ`` (its quotient with the training progress over a strip, above alpha, at the
    end of each strip) and ``UP`` (the value rose at the end of ``alpha`` successive strips).

    Args:
        kind: ``"GL"``, ``"PQ"`` or ``"UP"``.
        alpha: the criterion's parameter (UP: a whole number of strips).
        strip: the strip length k, in epochs (PQ and UP).
        monitor: the monitored key.
        sign: 1.0 when lower is better, -1.0 when higher is.
        name: the criterion's readable name (``"PQ0.5"``), for error messages.
    """

    def __init__(self, kind: str, alpha: float, strip: int, monitor: str, sign: float, name: str):
        self.kind, self.alpha, self.k = kind, alpha, strip
        self.monitor, self.sign, self.name = monitor, sign, name
        self.strip_train: list[float] = []  # training values in the current strip (PQ)
        self.last_strip_end = None  # value at the end of the previous strip (UP)
        self.ups = 0  # successive strips whose end rose (UP)

    def step(self, epoch: int, x: float, lowest: float, n: int, logs: dict) -> str | None:
        """One monitored epoch: ``x`` its oriented value, ``lowest`` the lowest oriented value so far
        (Prechelt's E_opt), ``n`` the monitored epochs so far. Returns why to stop, or None."""
        alpha, k = self.alpha, self.k
        gl = generalisation_loss(x, lowest)
        worse = "below" if self.sign < 0 else "above"
        if self.kind == "GL":
            if gl > alpha:
                return f"{self.monitor} is {gl:.2g}% {worse} its best (GL={gl:.2g} > {alpha:g})"
            return None
        if self.kind == "PQ":
            self.strip_train.append(self.training_value(logs))
            if n % k:
                return None
            strip, self.strip_train = self.strip_train, []
            progress = training_progress(strip)
            pq = gl / progress if progress > 0 else (math.inf if gl > 0 else 0.0)
            if pq > alpha:
                return (f"{self.monitor} is {gl:.2g}% {worse} its best while training progressed "
                        f"{progress:.3g} per mille over the last {k} epochs (PQ={pq:.3g} > {alpha:g})")
            return None
        # UP: the value at the end of this strip is worse than at the end of the previous one
        if n % k:
            return None
        prev, self.last_strip_end = self.last_strip_end, x
        if prev is None:
            return None
        self.ups = self.ups + 1 if x > prev else 0
        if self.ups >= alpha:
            return f"{self.monitor} got worse at the end of {self.ups} successive strips of {k} epochs (UP{alpha})"
        return None

    def training_value(self, logs: dict) -> float:
        """The training counterpart of the monitor, oriented like it (lower is better)."""
        name = str(self.monitor).removeprefix("val_")
        key = name if name != self.monitor and name in logs else "loss" if "loss" in logs else None
        if key is None:
            wanted = repr(name) if name == "loss" else f"({name!r} or 'loss')"
            raise ValueError(f"EarlyStopping: criterion {self.name!r} needs the training value {wanted} in logs "
                             f"(available: {', '.join(map(str, logs)) or 'none'}); log it, or use a GL or UP criterion")
        v = float(logs[key])
        return self.sign * v if key == name else v

    def state_dict(self) -> dict:
        """The running state, JSON-able (non-finite numbers as strings)."""
        return {"strip_train": [number(v) for v in self.strip_train], "last_strip_end": number(self.last_strip_end),
                "ups": self.ups}

    def load_state_dict(self, state: dict) -> None:
        """Take back what :meth:`state_dict` gave (a KeyError or TypeError when it is damaged)."""
        self.strip_train = [unnumber(v) for v in state["strip_train"]]
        self.last_strip_end = unnumber(state["last_strip_end"])
        self.ups = int(state["ups"])


def training_loss(monitor: str, logs: dict) -> float | None:
    """The training loss of this epoch for the divergence test, None when not logged (or monitored)."""
    if monitor == "loss" or logs.get("loss") is None:
        return None
    v = float(logs["loss"])
    return v if math.isfinite(v) else None


def number(v):
    """A float as JSON holds it: None stays None, NaN and the infinities become ``"nan"``, ``"inf"``,
    ``"-inf"`` (strict JSON has no literal for them)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else str(v)


def unnumber(v):
    """The inverse of :func:`number`."""
    return None if v is None else float(v)


def _median(values) -> float:
    """The median of a few numbers, as ``statistics.median`` gives it (which ``import fitwatch``
    need not pay to import)."""
    s = sorted(values)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2.0


def noise_patience(noise: float) -> int:
    """PATIENCE_SMOOTH for a relative noise up to NOISE_SMOOTH, PATIENCE_NOISY from NOISE_NOISY,
    log-linear in between."""
    if noise <= NOISE_SMOOTH:
        return PATIENCE_SMOOTH
    if noise >= NOISE_NOISY:
        return PATIENCE_NOISY
    f = math.log(noise / NOISE_SMOOTH) / math.log(NOISE_NOISY / NOISE_SMOOTH)
    return PATIENCE_SMOOTH + round((PATIENCE_NOISY - PATIENCE_SMOOTH) * f)


def falling(values) -> float | None:
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


def generalisation_loss(x: float, lowest: float) -> float:
    """Prechelt's GL in percent: how far ``x`` is above the lowest value (lower is better), relative."""
    if x <= lowest:
        return 0.0
    return 100.0 * (x - lowest) / abs(lowest) if lowest else math.inf


def training_progress(strip: list[float]) -> float:
    """Prechelt's P_k in per mille: how much the mean of a strip of training values exceeds its
    lowest value, relative; large while training still makes progress."""
    lo = min(strip)
    mean = sum(strip) / len(strip)
    return 1000.0 * (mean - lo) / abs(lo) if lo else (math.inf if mean > lo else 0.0)
