"""Optuna integration: a pruner that ends a trial by fitwatch's rules (``fitwatch.optuna.Pruner``).

This is the only fitwatch module that imports optuna; ``fitwatch.optuna`` is this module.
docs/sweeps.md tells the whole story.
"""

from __future__ import annotations

try:
    import optuna
except ModuleNotFoundError as e:
    if e.name != "optuna":
        raise
    raise ImportError("fitwatch.optuna needs Optuna: pip install 'fitwatch[optuna]' (optuna>=3.0)") from e

from fitwatch.record.sweep import TrialRule
from fitwatch.stopping import EarlyStopping

__all__ = ["Pruner"]


class Pruner(optuna.pruners.BasePruner):
    """Prune a trial when fitwatch's early stopping would stop it, or at once when its curve has
    diverged or learns nothing.

    Each trial's intermediate values (``trial.report(value, step)``) are replayed, in step order, into
    its own :class:`fitwatch.EarlyStopping` (the default criterion: a patience set by the curve's
    own noise, and no stop while it still trends down) and, from ``min_epochs`` values on, into the
    diagnosis: a ``diverged`` (NaN, or blown far above its start) or ``not_learning`` curve (flat,
    or at the no-skill level) is pruned at once. The study's direction gives the mode. Unlike
    Optuna's median pruner, a trial is judged on its own curve, from its first values, whatever the
    other trials did. Why a trial was pruned is kept in ``pruner.reasons[trial.number]``.

    A trial that early stopping ends is pruned only when its best value cannot be the study's (worse
    than the best completed trial's): a pruned trial is left out of ``study.best_trial``. One whose
    best could win is not pruned; its number joins ``pruner.converged``, and the objective may stop
    there and return its best value (``if trial.number in pruner.converged: break``).

    Args:
        stop: an :class:`fitwatch.EarlyStopping` whose parameters each trial's rule copies
            (``EarlyStopping(patience=5)`` for Keras's rule). Defaults to `None`: the fitwatch default.
        min_epochs: the diagnosis judges a trial from this many values on. Defaults to `5`.
        diagnose: prune diverged and not-learning trials at once. Defaults to `True`.

    Example:
        >>> import optuna, fitwatch.optuna
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-3, 10.0, log=True)
        ...     loss = 1.0
        ...     for epoch in range(50):
        ...         loss = loss * (1 - min(lr, 0.5) * 0.2) if lr < 2 else loss * 1.5   # lr >= 2 blows up
        ...         trial.report(loss, epoch)
        ...         if trial.should_prune():
        ...             raise optuna.TrialPruned()
        ...     return loss
        >>> pruner = fitwatch.optuna.Pruner()
        >>> study = optuna.create_study(pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=8)
        >>> blown = [t.params["lr"] for t in study.trials if "diverged" in pruner.reasons.get(t.number, "")]
        >>> blown and min(blown) >= 2
        True
    """

    def __init__(self, stop: EarlyStopping | None = None, *, min_epochs: int = 5, diagnose: bool = True):
        if stop is not None and not isinstance(stop, EarlyStopping):
            raise TypeError(f"fitwatch.optuna.Pruner: stop must be a fitwatch.EarlyStopping, got {type(stop).__name__}")
        if isinstance(min_epochs, bool) or not isinstance(min_epochs, int) or min_epochs < 2:
            raise ValueError(f"fitwatch.optuna.Pruner: min_epochs must be an integer of 2 or more, got {min_epochs!r}")
        self.stop, self.min_epochs, self.diagnose = stop, min_epochs, diagnose
        self._rules: dict = {}  # study name -> its TrialRule
        self.reasons: dict[int, str] = {}  # trial number -> why it was pruned
        self.converged: set[int] = set()  # trials early stopping ended whose best could be the study's

    def prune(self, study: "optuna.study.Study", trial: "optuna.trial.FrozenTrial") -> bool:
        values = trial.intermediate_values
        if not values:
            return False
        rule = self._rule(study)
        reason = None
        seen = rule.seen(trial.number)
        for i, step in enumerate(sorted(values)):
            if i < seen:  # replayed already (should_prune is called after each report)
                continue
            reason = rule.update(trial.number, step, values[step])
            if reason:
                break
        reason = reason or rule.reasons.get(trial.number)
        if reason is None:
            return False
        if reason.startswith("early stopping") and self._could_win(study, rule, trial.number):
            # converged, and its best could be the study's: pruned, Optuna would leave it out of
            # best_trial; it completes instead (the objective may stop it: pruner.converged)
            self.converged.add(trial.number)
            return False
        self.reasons[trial.number] = reason
        return True

    def _could_win(self, study, rule: TrialRule, number: int) -> bool:
        """The trial's best so far is as good as the best completed trial's value (or none completed)."""
        done = [t.value for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if t.value is not None]
        _, best = rule.best(number)
        if not done or best is None:
            return True
        return best >= max(done) if rule.mode == "max" else best <= min(done)

    def _rule(self, study) -> TrialRule:
        rule = self._rules.get(study.study_name)
        if rule is None:
            mode = "max" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "min"
            rule = self._rules[study.study_name] = TrialRule(metric="value", mode=mode, stop=self.stop,
                                                             min_epochs=self.min_epochs, diagnose=self.diagnose)
        return rule
