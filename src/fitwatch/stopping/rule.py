"""Early stopping: decide, epoch by epoch, when training should stop and which epoch to restore.

:class:`EarlyStopping` is framework-free (numpy and the standard library only): feed it each
epoch's values with :meth:`EarlyStopping.update` and it answers whether to stop now. It knows
three families of rules:

* the fitwatch default (``EarlyStopping()``), see ``docs/early_stopping.md``;
* ``patience=`` (criterion ``"patience"``): exactly Keras's ``EarlyStopping``;
* Prechelt's criteria from "Early Stopping -- But When?" (1998): ``"GL<alpha>"``, ``"PQ<alpha>"``, ``"UP<s>"``.

Whatever the rule, a NaN or infinite monitored value stops at once. A rule pickled by 0.1.0 unpickles
into this class (:mod:`fitwatch.stopping.legacy`).

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
import re
import warnings

from fitwatch.stopping.criteria import NoiseAware, Prechelt, number, unnumber
from fitwatch.stopping.legacy import OLD_ATTRIBUTES, upgrade
from fitwatch.stopping.params import epochs_number, identity_text, int_or_none, parse_min_delta, plain, whole

__all__ = ["EarlyStopping"]

STATE_VERSION = 1  # the version of EarlyStopping.state_dict()'s format
STATE_KIND = "fitwatch.EarlyStopping"  # what a state says it is (a state of anything else is refused)

#: names that ``mode="auto"`` maximises (substrings of the metric name, ``val_`` removed)
_HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "f1", "precision", "recall")
_CRITERION = re.compile(r"^(GL|PQ|UP)(\d+(?:\.\d*)?|\.\d+)$", re.IGNORECASE)


class EarlyStopping:
    """Stop training when the monitored value has stopped improving.

    Call :meth:`update` at the end of every epoch with that epoch's values; it returns True when
    training should stop. :attr:`best_epoch` is then the epoch whose weights to restore (restore
    them even when training ran to the end without a stop).

    The default (no ``patience``, no ``criterion``) stops when the best value has not improved by
    more than 0.1% within the patience, 5 epochs for a smooth curve and up to 10 for a noisy one
    (set by the curve's own epoch-to-epoch noise) and 15 for a curve, not smooth, that has not yet
    improved on its first value (each at most 15% of the run's planned epochs, 30% for the
    first-value one, at least 3, when the plan is known: ``max_epochs`` or the loop's), unless a
    least-squares line through the last 4 epochs still falls significantly; and at once when a
    loss diverges (above its first value and 3x its best, after the best came below 90% of the
    first value, with the training loss, when logged, climbing too). On the public LCBench and
    TaskSet curves, fitwatch's labelled runs and, told their plan, published training logs it stops
    with less regret than ``patience=5`` after fewer epochs; not on short, noisy runs of our own
    (``docs/early_stopping.md``).

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
        max_epochs: (the fitwatch default) the epochs the run plans to train, e.g. Keras's
            ``fit(epochs=)``: the patience is then at most 15% of them and the first-value patience
            30%, never under 3 (``PLAN_SHARE``, ``UNMOVED_SHARE``, ``PLAN_MIN``), not while the values
            of the patience so cut still fall, and never at the last planned check. None (default):
            the loop's own plan when it gives one (:meth:`plan`: ``Run.epochs(n)``, the Keras and
            Lightning callbacks do), else no cap. Ignored by ``patience=`` and Prechelt's criteria.

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
                 start_from_epoch=0, criterion=None, strip=5, verbose=False, max_epochs=None):
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.patience = patience
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.criterion = criterion
        self.strip = strip
        self.verbose = verbose
        self.max_epochs = max_epochs
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
        self._last_epoch = None  # the epoch of the last update() (skipped epochs too)
        self._crit = None  # the fitwatch default's or Prechelt's criterion, made by _setup()
        self._planned = None  # the loop's planned epochs, given by plan() after the reset (max_epochs wins)

    def to_dict(self) -> dict:
        """The parameters and the outcome, JSON-able (for a run's record)."""
        return {
            "monitor": self.monitor, "mode": self._direction_name(), "criterion": self._criterion_name(),
            "best_epoch": self.best_epoch, "best_value": self.best_value, "stopped_epoch": self.stopped_epoch,
            "reason": self.reason, "min_delta": plain(self.min_delta), "patience": plain(self.patience),
            "baseline": plain(self.baseline), "start_from_epoch": plain(self.start_from_epoch),
            "strip": plain(self.strip), "max_epochs": self._plan() if self._criterion_name() == "fitwatch" else None,
        }

    def plan(self, epochs) -> None:
        """Tell the rule how many epochs the loop plans (``max_epochs`` given to the rule wins). The
        loops fitwatch drives call it before the first epoch: ``Run.epochs(n)``, the Keras callbacks
        (``fit(epochs=)``) and the Lightning one (``Trainer(max_epochs=)``). A number that is not a
        number >= 1 (Lightning's -1: no limit) means no plan; a fraction counts as the epoch it began
        (the Trainer's ``num_train_epochs=2.5``: 3). :meth:`reset` forgets it.

        Example:
            >>> stopper = EarlyStopping()
            >>> stopper.plan(20)
            >>> stopper.to_dict()["max_epochs"]
            20
        """
        self._planned = math.ceil(epochs) if epochs_number(epochs) else None
        if self._crit is not None and isinstance(self._crit, NoiseAware):
            self._crit.max_epochs = self._plan()

    def _plan(self) -> int | None:
        """The planned epochs the default's patience is capped by: ``max_epochs``, else the loop's."""
        return int(self.max_epochs) if self.max_epochs is not None else self._planned

    def __repr__(self) -> str:
        return f"EarlyStopping(monitor={self.monitor!r}, criterion={self._criterion_name()!r})"

    # -- set-up (first use) ----------------------------------------------------------------------------
    def _setup(self) -> None:
        crit = self.criterion
        if self.patience is not None:
            if crit not in (None, "patience"):
                raise ValueError(f"EarlyStopping: patience={self.patience!r} and criterion={crit!r} "
                                 f"contradict; give patience= alone, or criterion= alone")
            if not whole(self.patience) or self.patience < 0:
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
        m = self.max_epochs
        if m is not None and not (epochs_number(m) and m == int(m)):
            raise ValueError(f"EarlyStopping: max_epochs={self.max_epochs!r}; pass the number of epochs the run "
                             f"plans, a whole number >= 1, or None")
        if kind in ("PQ", "UP") and (not whole(self.strip) or self.strip < 1):
            raise ValueError(f"EarlyStopping: strip={self.strip!r}; pass the strip length in epochs, a whole "
                             f"number >= 1 (Prechelt used 5)")
        if self.baseline is not None and kind != "patience":
            raise ValueError(f"EarlyStopping: baseline= applies to patience mode only; pass patience= with it, "
                             f"or leave baseline out for criterion {self._criterion_name(kind, param)!r}")
        self._abs_delta, self._rel_delta = parse_min_delta(self.min_delta)
        self._kind, self._param = kind, param
        self._sign = -1.0 if self._maximise() else 1.0  # oriented value = sign * value: lower is better
        self._baseline = None if self.baseline is None else float(self.baseline)
        self._crit = self._new_criterion()
        self._ready = True

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"max_epochs": None, "_planned": None, **state})  # (pickled before max_epochs)
        if "_crit" not in state:  # pickled by fitwatch 0.1.0: its criterion's state moves into the criterion
            upgrade(self, {k: self.__dict__.pop(k) for k in OLD_ATTRIBUTES if k in self.__dict__})

    def _new_criterion(self):
        """The default's or Prechelt's criterion, with no epoch seen (None in patience mode)."""
        if self._kind == "fitwatch":
            return NoiseAware(self.monitor, self._sign, self._plan())
        if self._kind == "patience":
            return None
        return Prechelt(self._kind, self._param, self.strip, self.monitor, self._sign,
                        self._criterion_name(self._kind, self._param))

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
        self._last_epoch = epoch
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
        self.wait = 0 if self.improved else self.wait + 1
        if self._kind == "fitwatch":
            why = self._crit.step(epoch, x, self._sign * self.best_value, self.best_epoch, self._n, logs)
        else:
            why = self._crit.step(epoch, x, self._lowest, self._n, logs)
        return False if why is None else self._stop(epoch, f"{why}; {self._best_text()}")

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

    # -- state: going on in another process ------------------------------------------------------------
    def state_dict(self) -> dict:
        """The rule's whole state as plain JSON-able data, to go on elsewhere with :meth:`load_state_dict`.

        It holds what identifies the rule (``monitor``, the direction, the kind of criterion and,
        for PQ and UP, the strip), everything :meth:`update` has learnt (``best_epoch``,
        ``best_value``, ``wait``, ``stopped_epoch``, ``reason``, the epochs monitored, the recent
        values that the fitwatch default and Prechelt's criteria keep, the last epoch seen) and
        ``version``. NaN and the infinities are written as strings. ``Run.epochs(stop=...)`` and
        ``fitwatch.keras.Callback(stop=...)`` store it with the run at the end of every epoch, so
        that a resumed run goes on with its patience where it was.

        Returns:
            A dict of JSON types only (``json.dumps`` takes it as it is).

        Raises:
            ValueError: the rule's own parameters are wrong (as at the first :meth:`update`).

        Example:
            >>> import json
            >>> stopper = EarlyStopping(patience=2)
            >>> for epoch, v in enumerate([0.9, 0.7, 0.75]):
            ...     _ = stopper.update(epoch, {"val_loss": v})
            >>> saved = json.dumps(stopper.state_dict())    # e.g. next to a checkpoint
            >>> again = EarlyStopping(patience=2)          # in another process
            >>> again.load_state_dict(json.loads(saved))
            >>> again.wait, again.best_epoch, again.update(3, {"val_loss": 0.8})
            (1, 1, True)
        """
        if not self._ready:
            self._setup()
        return {
            "version": STATE_VERSION, "kind": STATE_KIND, "rule": self._identity(),
            "best_epoch": self.best_epoch, "best_value": number(self.best_value), "stopped_epoch": self.stopped_epoch,
            "reason": self.reason, "improved": self.improved, "wait": self.wait, "monitored": self._n,
            "lowest": number(self._lowest), "last_epoch": self._last_epoch, "plan": self._plan(),
            "criterion_state": None if self._crit is None else self._crit.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Go on from a state that :meth:`state_dict` gave, e.g. in a new process after a restart.

        The state must come from a rule that watches the same ``monitor`` in the same direction
        with the same kind of criterion (and, for PQ and UP, the same strip): its numbers mean
        nothing to another rule. The other parameters (``patience``, a criterion's alpha,
        ``min_delta``, ``baseline``, ``start_from_epoch``) may differ: the state is taken as it is
        and the new values apply from the next :meth:`update` (e.g. a larger ``patience`` to train
        longer). A stop in the state is kept: :meth:`clear_stop` forgets it.

        Args:
            state: what :meth:`state_dict` returned (through JSON or not).

        Raises:
            ValueError: not an EarlyStopping state, a version this fitwatch does not read, the
                state of another kind of rule, or a damaged state; the message says what to do. The
                rule is left as it was.

        Example:
            >>> a = EarlyStopping(criterion="UP2", strip=2)
            >>> for epoch, v in enumerate([1.0, 0.9, 0.8, 0.85, 0.9]):
            ...     _ = a.update(epoch, {"val_loss": v})
            >>> b = EarlyStopping(criterion="UP2", strip=2)   # a fresh rule, e.g. after a restart
            >>> b.load_state_dict(a.state_dict())
            >>> [b.update(e, {"val_loss": v}) for e, v in [(5, 0.95), (6, 1.0), (7, 1.1)]]
            [False, False, True]
            >>> EarlyStopping(monitor="val_accuracy").load_state_dict(a.state_dict())
            Traceback (most recent call last):
            ...
            ValueError: EarlyStopping.load_state_dict: the state is of a rule watching 'val_loss' (min) with criterion UP (strip 2), this one watches 'val_accuracy' (max) with criterion fitwatch; create the EarlyStopping with that monitor, mode and criterion to go on from it, or start afresh without the state
        """
        where = "EarlyStopping.load_state_dict"
        if not isinstance(state, dict) or state.get("kind") != STATE_KIND:
            got = f"a dict of kind {state.get('kind')!r}" if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{where}: expected the dict that EarlyStopping.state_dict() returns, got {got}; "
                             f"pass that dict (a run keeps it in its info under 'early_stopping_state', key 'rule')")
        version = state.get("version")
        if version != STATE_VERSION:
            fix = ("upgrade fitwatch (pip install -U fitwatch) to read it" if isinstance(version, int)
                   and version > STATE_VERSION else "start the rule afresh without it")
            raise ValueError(f"{where}: a state of version {version!r}; this fitwatch reads version {STATE_VERSION}: "
                             f"{fix}")
        if not self._ready:
            self._setup()
        if state.get("rule") != self._identity():
            raise ValueError(f"{where}: the state is of a rule {identity_text(state.get('rule'), 'watching')}, this "
                             f"one {identity_text(self._identity(), 'watches')}; create the EarlyStopping with that "
                             f"monitor, mode and criterion to go on from it, or start afresh without the state")
        try:
            crit = self._new_criterion()
            if crit is not None:
                crit.load_state_dict(state["criterion_state"])
            taken = dict(best_epoch=int_or_none(state["best_epoch"]), best_value=unnumber(state["best_value"]),
                         stopped_epoch=int_or_none(state["stopped_epoch"]), reason=state["reason"],
                         improved=bool(state["improved"]), wait=int(state["wait"]), _n=int(state["monitored"]),
                         _lowest=unnumber(state["lowest"]), _last_epoch=int_or_none(state["last_epoch"]))
            if taken["reason"] is not None and not isinstance(taken["reason"], str):
                raise TypeError("reason is not a string")
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"{where}: the state is damaged ({type(e).__name__}: {e}); pass the dict that "
                             f"EarlyStopping.state_dict() returned, unchanged, or start afresh without it") from None
        self.__dict__.update(taken)
        self._crit = crit
        if self._plan() is None and whole(state.get("plan")):  # the plan it was stopping by, unless told another
            self.plan(state["plan"])

    def clear_stop(self) -> None:
        """Forget a stop (``stopped_epoch`` and ``reason``) and keep all else, so that training can
        go on past it, e.g. in a stopped run that is resumed. Unless a later epoch improves, the
        rule stops again as soon as its patience runs out.

        Example:
            >>> stopper = EarlyStopping(patience=1)
            >>> [stopper.update(e, {"val_loss": v}) for e, v in enumerate([0.5, 0.6])]
            [False, True]
            >>> stopper.clear_stop()
            >>> stopper.update(2, {"val_loss": 0.4}), stopper.best_epoch
            (False, 2)
        """
        self.stopped_epoch = None
        self.reason = None

    def _identity(self) -> dict:
        """What a state must share with the rule that loads it."""
        return {"monitor": self.monitor, "mode": "max" if self._sign < 0 else "min", "criterion": self._kind,
                "strip": plain(self.strip) if self._kind in ("PQ", "UP") else None}
