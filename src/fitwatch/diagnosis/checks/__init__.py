"""The diagnosis's checks, one module per verdict or family of signs; each check takes the shared
:class:`~fitwatch.diagnosis.checks.context.Context` and returns what it found (a
:class:`~fitwatch.diagnosis.checks.context.Verdict`, a finding, or None). Their order, the first
verdict that holds winning, is in :func:`fitwatch.diagnosis.analyze.diagnose_curves`.

- :mod:`~fitwatch.diagnosis.checks.context`: the shared context, a curve's statistics, small helpers;
- :mod:`~fitwatch.diagnosis.checks.short`: too few epochs;
- :mod:`~fitwatch.diagnosis.checks.instability`: NaN, diverged, unstable (with ``lr_too_high``);
- :mod:`~fitwatch.diagnosis.checks.learning`: not learning (with ``lr_too_low``), from the no-skill level of :mod:`~fitwatch.diagnosis.checks.chance`;
- :mod:`~fitwatch.diagnosis.checks.collapse`: not learning when validation's accuracy stopped at one value while
  training's rose (validation prepared unlike training);
- :mod:`~fitwatch.diagnosis.checks.overfitting`: overfitting, also as caught by an early stop;
- :mod:`~fitwatch.diagnosis.checks.progress`: still improving; the plateau;
- :mod:`~fitwatch.diagnosis.checks.fit`: underfitting or good fit;
- :mod:`~fitwatch.diagnosis.checks.validation`: the generalisation gap, validation below training
  (leakage), noisy validation, over-confidence;
- :mod:`~fitwatch.diagnosis.checks.heads`: which head of a multi-task model overfits;
- :mod:`~fitwatch.diagnosis.checks.rate`: which way a run not learning should move its learning rate;
- :mod:`~fitwatch.diagnosis.checks.early_stop`: the ``stopped_early`` / ``best_restored`` finding.

Every threshold lives in :mod:`fitwatch.diagnosis.thresholds`; docs/diagnosis.md states the rules.
"""
