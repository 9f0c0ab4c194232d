"""Boosting rounds as epochs: what ``fitwatch.xgboost`` and ``fitwatch.lightgbm`` share (no framework).

A booster's training is recorded round by round: :class:`RoundRecorder` names each round's
evaluation results as :func:`fitwatch.diagnosis.readers.boosting_results.round_names` says (the
same names ``fitwatch.diagnose(evals_result)`` reads), creates the run at the first round (when the
evaluation sets and metrics are known), stores every round as an epoch, hands it to the stop rule
and ends the fit. The "best weights" of a booster are its best round: :class:`RoundKeeper` tracks
it and the integration restores it (XGBoost slices the booster, LightGBM sets ``best_iteration``).
:class:`RoundCallback` holds what both callbacks share: their parameters, ``run``, ``best_iteration``.

Example:
    >>> import tempfile, fitwatch
    >>> rec = RoundRecorder("my booster", "demo", dir=tempfile.mkdtemp(), diagnose=False,
    ...                     stop=fitwatch.EarlyStopping(patience=1))
    >>> rec.start()
    >>> for r, v in enumerate([0.5, 0.4, 0.45, 0.5]):
    ...     if rec.round(r, {"train": {"rmse": 0.5 - 0.1 * r}, "eval": {"rmse": v}}):
    ...         break
    >>> rec.best_round, rec.end(stopped_at=r)
    (1, None)
    >>> rec.run.status, rec.run.history["val_loss"], rec.run.info["loss_metric"]
    ('stopped', [0.5, 0.4, 0.45], 'rmse')
"""

from __future__ import annotations

from fitwatch.diagnosis.readers.boosting_results import RoundNames, round_names
from fitwatch.record.run import Run
from fitwatch.stopping.keeper import BestKeeper


class RoundKeeper(BestKeeper):
    """A :class:`~fitwatch.stopping.BestKeeper` for a booster: its best epoch is the best round,
    which the integration restores itself (``restore``: whether it does)."""

    def __init__(self, stop, *, restore: bool, where: str):
        super().__init__(stop, None, None, restore=False, where=where)
        self.restore_round = restore

    def epoch_end(self, epoch: int, logs: dict) -> bool:
        stop = super().epoch_end(epoch, logs)
        if getattr(self.stop, "improved", False):
            self.kept_epoch = epoch
        return stop

    def finish(self) -> bool:
        self.restored = bool(self.restore_round) and self.kept_epoch is not None
        return self.restored


class RoundRecorder:
    """One booster's training into a :class:`fitwatch.Run`, round by round (see the module's docstring).

    Args:
        where: what the user called, for messages (``"fitwatch.xgboost.Callback"``).
        framework: the library's name, stored in the run's info.
        name, config, dir, diagnose: those of :class:`fitwatch.Run`.
        stop: a :class:`fitwatch.EarlyStopping`, or None.
        restore: whether the integration restores the best round.
        metric: the metric stored as the loss, or None for the rule's choice.
        call: what training the user started, for messages (``"xgboost.train()"``).
    """

    def __init__(self, name=None, where="fitwatch", *, config=None, dir=None, stop=None, restore=True, diagnose=True,
                 metric=None, framework=None, call="training"):
        self.name, self.where, self.config, self.dir = name, where, config, dir
        self.stop, self.restore, self.diagnose, self.metric = stop, restore, diagnose, metric
        self.framework, self.call = framework, call
        self.run: Run | None = None
        self.names: RoundNames | None = None
        self.keeper: RoundKeeper | None = None
        self.last_round: int | None = None

    def start(self, owner=None) -> None:
        """A training begins: check the parameters, forget the previous training (a new run follows)."""
        w = self.where
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"{w}: name must be a string or None, got {self.name!r}")
        if self.config is not None and not isinstance(self.config, dict):
            raise TypeError(f"{w}: config must be a dict, got {type(self.config).__name__}; e.g. config={{'eta': 0.1}}")
        if not isinstance(self.restore, bool):
            raise TypeError(f"{w}: restore must be True or False, got {self.restore!r}")
        if self.diagnose not in (True, False, "quiet"):
            raise ValueError(f"{w}: diagnose must be True, False or 'quiet', got {self.diagnose!r}")
        if self.metric is not None and not isinstance(self.metric, str):
            raise TypeError(f"{w}: metric must be a metric's name (e.g. metric='logloss') or None, got {self.metric!r}")
        self.keeper = None
        if self.stop is not None:
            if callable(getattr(self.stop, "reset", None)):
                self.stop.reset()  # each training starts afresh, as the libraries' own early stopping does
            self.keeper = RoundKeeper(self.stop, restore=self.restore, where=w)
        self.owner, self.run, self.names, self.last_round = owner, None, None, None

    @property
    def fitting(self) -> bool:
        """Whether a training is being recorded."""
        return self.run is not None and self.run.fitting

    @property
    def best_round(self) -> int | None:
        """The best round so far by the stop rule (None without ``stop``, or before it knows one)."""
        return None if self.keeper is None else self.keeper.kept_epoch

    def round(self, number: int, results: dict, *, planned=None, config=None, info=None) -> bool:
        """Record round ``number``'s ``results`` (``{set: {metric: value}}``); True when the rule
        says stop. The first round creates the run (``config``, ``info``: what the integration
        knows of the booster) and begins the fit (``planned``: the number of rounds)."""
        if self.names is None:
            self._begin(results, planned, config or {}, info or {})
        logs = self.names.logs(results)
        stored = self.run.begin_epoch(number)
        self.run.log_epoch(logs, epoch=stored)
        self.last_round = number
        return self.run.check_stop(logs, epoch=stored)

    def _begin(self, results: dict, planned, config: dict, info: dict) -> None:
        if not results:
            raise ValueError(f"{self.where}: no evaluation set to record; {_EVAL_FIX.get(self.framework, '')}")
        names = round_names({s: list(d) for s, d in results.items()}, self.metric, self.where)
        logs = names.logs(results)
        monitor = getattr(self.stop, "monitor", None)
        if self.stop is not None and monitor not in logs:
            raise ValueError(f"{self.where}: stop monitors {monitor!r}, which the rounds do not hold (they hold "
                             f"{', '.join(logs)}); {_EVAL_FIX.get(self.framework, '') if names.val is None else ''}"
                             f"pass EarlyStopping(monitor=...) with one of those")
        self.names = names
        info = {"framework": self.framework, "rounds": "boosting rounds recorded as epochs", **info, **names.to_dict(),
                "note": names.note()}
        # "model": "boosting" is the diagnosis's context: a booster's remedies, not a network's
        self.run = Run(self.name, {"model": "boosting", **config, **(self.config or {})}, dir=self.dir, info=info,
                       diagnose=self.diagnose)
        self.run.begin_fit(planned, keeper=self.keeper, owner=self.owner, call=self.call)

    def end(self, stopped_at: int | None = None, **info) -> None:
        """The training ended (``stopped_at``: the round at which something stopped it before its
        last planned one): restore bookkeeping, store the outcome, finish the run, diagnose it."""
        if not self.fitting:
            return
        self.run.info.update(info)
        self.run.end_fit(stopped_at=stopped_at)

    def abort(self, exc: BaseException) -> None:
        """The training raised: the run is marked failed."""
        if self.fitting:
            self.run.abort_fit(exc)


def library_stop(library: str, monitor: str | None, *, patience: int, min_delta, maximize: bool, best: int,
                 best_value: float | None, stopped: bool, last: int, planned: int | None, restored: bool,
                 unrestored_hint: str = "") -> dict:
    """The boosting library's own early stopping (XGBoost's ``early_stopping_rounds``, LightGBM's
    ``early_stopping``), as the run's stop record (``info["early_stopping"]``) the diagnosis reads:
    its monitor as fitwatch names it, its best round, where it stopped, and whether prediction uses
    the best round (``restored``)."""
    what = "rounds" if patience != 1 else "round"
    reason = f"{monitor} did not improve for {patience} {what} ({library}'s own early stopping)"
    return {"monitor": monitor, "mode": "max" if maximize else "min",
            "criterion": f"{library} early stopping, {patience} {what}" + (f", min_delta={min_delta}" if min_delta else ""),
            "patience": patience, "min_delta": min_delta, "best_epoch": best, "best_value": best_value,
            "stopped": stopped, "stopped_epoch": last if stopped else None, "reason": reason if stopped else None,
            "restored": True if restored else None, "restored_epoch": best if restored else None, "last_epoch": last,
            "epochs_planned": planned, "by": library,
            "restore_hint": unrestored_hint if not restored and unrestored_hint else None}


class RoundCallback:
    """What both boosting callbacks hold: their parameters (stored, checked when training begins),
    the recorder of the latest training, its ``run`` and ``best_iteration``."""

    def __init__(self, name=None, config=None, *, dir=None, stop=None, restore=True, diagnose=True, metric=None):
        self.name, self.config, self.dir = name, config, dir
        self.stop, self.restore, self.diagnose, self.metric = stop, restore, diagnose, metric
        self.recorder: RoundRecorder | None = None

    @property
    def run(self):
        """The :class:`fitwatch.Run` of the latest training (None before its first round)."""
        return None if self.recorder is None else self.recorder.run

    @property
    def best_iteration(self) -> int | None:
        """The best round (0-based) by ``stop`` (None without it)."""
        return None if self.recorder is None else self.recorder.best_round

    def new_recorder(self, where: str, framework: str, call: str) -> RoundRecorder:
        """A training begins: a recorder of this callback's parameters, checked and started."""
        self.recorder = RoundRecorder(self.name, where, config=self.config, dir=self.dir, stop=self.stop,
                                      restore=self.restore, diagnose=self.diagnose, metric=self.metric,
                                      framework=framework, call=call)
        self.recorder.start(owner=self)
        return self.recorder


_EVAL_FIX = {
    "xgboost": "pass evals=[(dtrain, 'train'), (dval, 'validation')] to xgboost.train(), or "
               "eval_set=[(X, y), (X_val, y_val)] to fit(); ",
    "lightgbm": "pass valid_sets=[dtrain, dval] to lightgbm.train(), or eval_set=[(X, y), (X_val, y_val)] to fit(); ",
}
