"""Ray Tune integration: every trial recorded as a fitwatch run (``fitwatch.ray.Callback``), and
trials ended by fitwatch's rules (``fitwatch.ray.Stopper``, ``fitwatch.ray.Scheduler``).

This is the only fitwatch module that imports ray; ``fitwatch.ray`` is this module. docs/sweeps.md
tells the whole story.
"""

from __future__ import annotations

import numbers

try:
    from ray import tune
    from ray.tune.schedulers import FIFOScheduler, TrialScheduler
except ModuleNotFoundError as e:
    if e.name is None or not e.name.startswith("ray"):
        raise
    raise ImportError("fitwatch.ray needs Ray Tune: pip install 'fitwatch[ray]' (ray[tune]>=2.9)") from e

from fitwatch.record.run import Run
from fitwatch.record.sweep import TrialRule
from fitwatch.store.base import check_tag, encode_json
from fitwatch.stopping import EarlyStopping

__all__ = ["Callback", "Scheduler", "Stopper"]

#: what Tune adds to every result: not the trial's metrics
_TUNE_KEYS = {"training_iteration", "time_total_s", "episodes_total", "timesteps_total", "node_ip", "hostname",
              "pid", "time_this_iter_s", "timestamp", "date", "time_since_restore", "timesteps_since_restore",
              "iterations_since_restore", "config", "checkpoint_dir_name", "done", "trial_id", "experiment_id",
              "experiment_tag", "should_checkpoint", "episodes_this_iter", "timesteps_this_iter",
              "epoch", "step", "iteration"}  # a trial's own counter is the epoch axis, not a curve


def _metrics(result: dict) -> dict:
    """The trial's own reported numbers (Keras-style keys: ``loss``, ``val_loss``...)."""
    return {k: float(v) for k, v in result.items() if k not in _TUNE_KEYS and isinstance(v, numbers.Real)
            and not isinstance(v, bool)}


def _epoch(result: dict, otherwise: int | None) -> int | None:
    """The epoch of a Tune result: ``training_iteration`` 1 is epoch 0; ``otherwise`` without one."""
    step = result.get("training_iteration")
    return step - 1 if isinstance(step, int) and step >= 1 else otherwise


def _plain(config: dict) -> dict:
    """A trial's config as JSON-able values (a sampled domain's value; anything else by its repr)."""
    import json

    return json.loads(encode_json(config or {}))


class Callback(tune.Callback):
    """Record every trial of a Tune sweep as a fitwatch run, in one store that every trial writes to
    from the driver (a folder, or ``postgresql://...`` shared by many machines: docs/postgres.md).

    A trial's run is named ``{sweep}-{trial_id}``, tagged ``sweep`` (the dashboard's sweep view and
    ``fitwatch runs --tag SWEEP`` group them), its config the trial's config; each reported result is
    an epoch (``training_iteration`` 1 is epoch 0), its numbers the epoch's values. The run ends
    ``stopped`` when fitwatch's rule (``rules=``) ended it, the reason in ``info["stopped_by"]``,
    ``failed`` with its error, else ``finished`` (a trial another scheduler stopped, ASHA's, too:
    Tune does not tell a callback which).

    Args:
        sweep: the sweep's name (one word: the tag). Defaults to `"sweep"`.
        dir: the store's folder or URL. Defaults to `$FITWATCH_DIR`, else `./fitwatch`.
        rules: the :class:`Scheduler` or :class:`Stopper` of the sweep, whose reasons are stored with
            the runs they ended. Defaults to `None`.
        diagnose: diagnose each trial's curves when it ends and keep the diagnosis with its run
            (``"quiet"``: stored, not printed). Defaults to `"quiet"`.

    Attributes:
        runs: ``{trial_id: fitwatch.Run}`` of the trials seen.

    Example (docs/sweeps.md runs it):
        ``tune.Tuner(train, tune_config=tune.TuneConfig(metric="val_loss", mode="min",
        scheduler=fitwatch.ray.Scheduler()), run_config=tune.RunConfig(callbacks=[fitwatch.ray.Callback("lr")]))``
    """

    def __init__(self, sweep: str = "sweep", *, dir=None, rules=None, diagnose="quiet"):
        self.sweep, self.dir, self.rules, self.diagnose = check_tag(sweep), dir, rules, diagnose
        self.runs: dict = {}

    def _run(self, trial) -> Run:
        run = self.runs.get(trial.trial_id)
        if run is None:
            info = {"framework": "ray", "sweep": self.sweep, "trial_id": trial.trial_id}
            run = self.runs[trial.trial_id] = Run(f"{self.sweep}-{trial.trial_id}", _plain(trial.config), dir=self.dir,
                                                  info=info, diagnose=self.diagnose, progress=False, tags=[self.sweep])
        return run

    def on_trial_start(self, iteration, trials, trial, **info):
        self._run(trial)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        run = self._run(trial)
        if run.status != "running":
            return
        values = _metrics(result)
        if values:
            run.log_epoch(values, epoch=_epoch(result, None))

    def on_trial_complete(self, iteration, trials, trial, **info):
        run = self._run(trial)
        reason = self.rules.reasons.get(trial.trial_id) if self.rules is not None else None
        if reason:
            run.info["stopped_by"] = reason
        run.finish("stopped" if reason else "finished")

    def on_trial_error(self, iteration, trials, trial, **info):
        run = self._run(trial)
        run.finish("failed", error=str(getattr(trial, "error_msg", None) or "the trial raised"))


class _Rules:
    """What Stopper and Scheduler share: a :class:`TrialRule` per sweep, made when the metric is known."""

    def _make(self, metric: str | None, mode: str | None) -> TrialRule:
        if not metric or mode not in ("min", "max"):
            raise ValueError(f"{type(self).__module__.replace('integrations.', '')}.{type(self).__name__}: give "
                             f"metric= and mode= ('min' or 'max'), here or in tune.TuneConfig")
        return TrialRule(metric=metric, mode=mode, stop=self._stop, min_epochs=self._min_epochs,
                         diagnose=self._diagnose)

    @property
    def reasons(self) -> dict:
        """``{trial_id: why fitwatch's rule ended it}``."""
        return {} if self._rule is None else self._rule.reasons

    def _judge(self, trial_id, result: dict) -> bool:
        value = result.get(self._rule.metric)
        if not isinstance(value, numbers.Real):
            raise KeyError(f"{type(self).__name__}: the trial reported no {self._rule.metric!r} (it reported "
                           f"{', '.join(sorted(_metrics(result)))}); report it, or pass metric= with one of those")
        return self._rule.update(trial_id, _epoch(result, self._rule.seen(trial_id)), value) is not None


class Stopper(tune.Stopper, _Rules):
    """A Tune stopper that ends each trial by fitwatch's early stopping on its own curve, and at once
    when the diagnosis finds it ``diverged`` or ``not_learning`` (from ``min_epochs`` results on).

    Args:
        metric, mode: the reported value judged and its direction (``"min"``/``"max"``).
        stop: an :class:`fitwatch.EarlyStopping` each trial's rule copies. Defaults to the fitwatch default.
        min_epochs: the diagnosis judges a trial from this many results on. Defaults to `5`.
        diagnose: end diverged and not-learning trials at once. Defaults to `True`.
    """

    def __init__(self, metric: str = "val_loss", mode: str = "min", *, stop: EarlyStopping | None = None,
                 min_epochs: int = 5, diagnose: bool = True):
        self._stop, self._min_epochs, self._diagnose = stop, min_epochs, diagnose
        self._rule = self._make(metric, mode)

    def __call__(self, trial_id, result) -> bool:
        return self._judge(trial_id, result)

    def stop_all(self) -> bool:
        return False


class Scheduler(FIFOScheduler, _Rules):
    """A Tune trial scheduler with fitwatch's rule: each trial runs until its own early stopping says
    stop, or is stopped at once when the diagnosis finds its curve ``diverged`` or ``not_learning``.
    Unlike ASHA and the median stopping rule it needs no other trial to compare with: a trial's fate
    is its own curve's. ``metric`` and ``mode`` may come from ``tune.TuneConfig``.

    Args:
        metric, mode: the reported value judged and its direction. Defaults to `None` (TuneConfig's).
        stop: an :class:`fitwatch.EarlyStopping` each trial's rule copies. Defaults to the fitwatch default.
        min_epochs: the diagnosis judges a trial from this many results on. Defaults to `5`.
        diagnose: stop diverged and not-learning trials at once. Defaults to `True`.
    """

    def __init__(self, metric: str | None = None, mode: str | None = None, *, stop: EarlyStopping | None = None,
                 min_epochs: int = 5, diagnose: bool = True):
        super().__init__()
        self._stop, self._min_epochs, self._diagnose = stop, min_epochs, diagnose
        self._rule = self._make(metric, mode) if metric else None
        self._wanted = (metric, mode)

    def set_search_properties(self, metric, mode, **spec) -> bool:
        if self._rule is None:
            self._rule = self._make(self._wanted[0] or metric, self._wanted[1] or mode)
        return True

    def on_trial_result(self, tune_controller, trial, result) -> str:
        if self._rule is None:
            self._rule = self._make(*self._wanted)
        return TrialScheduler.STOP if self._judge(trial.trial_id, result) else TrialScheduler.CONTINUE

    def debug_string(self) -> str:
        return f"fitwatch.ray.Scheduler: {len(self.reasons)} trials ended by fitwatch's rule"
