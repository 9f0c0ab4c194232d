"""Every threshold the diagnosis uses, in one documented place.

No threshold is an absolute loss value: each is relative to the curve's own scale (its starting
level, its total drop) or to its own noise (a robust estimate of the epoch-to-epoch scatter around
its smoothed trend). Change them by passing ``Thresholds(...)`` to :func:`fitwatch.diagnose`.

Example:
    >>> t = Thresholds(overfit_rise=0.10)
    >>> t.overfit_rise
    0.1
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """The diagnosis's thresholds. All are fractions or multiples; none is a loss value.

    Args:
        min_epochs: below this many epochs too little is known for most verdicts.
        settle_epochs: below this many, a run whose training loss fell at each of its epochs is too
            short to tell whether it settles: ``still_improving`` with ``too_few_epochs``, never
            "settled" (``underfitting``, ``good_fit``).
        smooth_window: the largest centred moving-average window used to smooth a curve (an odd
            number of epochs; short curves get smaller windows).
        noise_k: how many noise units (robust scatter of a curve around its smoothed trend) a
            change must exceed to count as real.
        explode_factor: ``diverged`` when a finite loss climbs above this multiple of where it
            started and ends ``end_above_start`` above it.
        end_above_start: ``diverged`` too when the loss ends this much above where it started
            (relative) after having been much lower.
        learn_drop: ``not_learning`` when the training and validation losses fell by less than
            this fraction of their starting level (and by less than ``noise_k`` noise units).
        train_moved: ``not_learning`` too when validation did not fall (``learn_drop``, beyond its
            noise) while the training loss fell by less than this fraction of its start.
        no_skill_margin: a loss within this fraction of the no-skill level (ln(classes), when it
            can be inferred) has not learned anything either.
        chance_loss_above, chance_acc_low, chance_acc_high: a classifier is at chance when, over
            the second half, its loss sits between ``no_skill_margin`` below and ``chance_loss_above``
            above ln k while its accuracy sits between ``chance_acc_low``/k and ``chance_acc_high``/k,
            for one class count k (the accuracy names k where the loss's start cannot).
        learn_acc_rise: a run whose accuracy (training or validation) rose by this much (absolute,
            0.10 = 10 points) from its first value to the median of its second half, beyond
            ``noise_k`` times its noise, learned, even where its loss is too noisy to say so.
        no_skill_r2: a regression whose logged R\u00b2 never rose above this is at its no-skill
            level (it predicts about the mean of the targets): ``not_learning``, whatever its loss did.
        unstable_roughness: ``unstable`` when the scatter around the trend in the second half of
            training exceeds this fraction of the loss level there...
        unstable_val_confirms: a training curve's scatter counts towards ``unstable`` only where
            the validation curve (5 epochs or more) scatters by this fraction of
            ``unstable_roughness`` too: a rough training curve beside a smooth validation curve is
            batch noise (a last-batch value, small batches), not the run's instability.
        unstable_jump: ...or the loss jumps up by more than this fraction of its level, between
            two epochs, at least ``unstable_jumps`` times.
        unstable_jumps: see ``unstable_jump`` (on a long run, at least ``JUMP_SHARE``, 5 %, of the
            second half's steps: :mod:`fitwatch.diagnosis.checks.instability`).
        lr_raised_factor: ``lr_raised`` when a logged learning rate rose this many times at the epoch
            the training loss rose by ``end_above_start`` (a warm-up's gradual rise does not).
        unstable_near_zero: a training loss whose second half is below this fraction of
            validation's level, and whose scatter is too, is near 0: its relative scatter is not
            called ``unstable`` (its moves are tiny against the gap to validation).
        unstable_of_drop: scatter and upward jumps count towards ``unstable`` only when larger
            than this fraction of the curve's own drop (start to lowest): a loss that fell by
            orders of magnitude scatters a lot relative to its level, but moves that undo no
            real share of its progress are not instability.
        diverged_r2: ``diverged`` when a logged R² never rises above this: predictions 101 times
            further from the targets (squared error) than their mean, from the first epoch on (a
            regression that blew up at once never climbs above its start).
        unstable_acc_drop: ...unless the accuracy confirms the jump: it fell by this much
            (absolute) at the same epoch.
        overfit_rise: ``overfitting`` when validation loss ends this fraction of the drop it made
            above its minimum (and more than ``noise_k`` noise units above it), while the training
            loss kept falling.
        overfit_rise_level: ...or this fraction of the validation loss level.
        overfit_rise_min: ...and, either way, this fraction of the level at least: a validation curve that hardly
            moved makes a tiny rise a large share of its drop (a resumed YOLO run's val/seg_loss, flat at 0.468,
            "rose" to 0.469 while its training loss fell: overfitting; collection round 16's tune half).
        overfit_acc_gap: ``overfitting`` too when validation has reached a plateau (its last
            ``stall_fraction`` gained less than ``improving_drop`` of its drop) far above training
            (``gap_warning``), the gap growing, and training accuracy ends this much (absolute)
            above validation accuracy.
        overfit_gap_ratio: ...the gap need not grow when it is this many times the training loss and
            training accuracy ends twice ``overfit_acc_gap`` above validation's (validation at 21x
            training, 97 % accuracy against 67 %: a gap that large is the overfit, grown or not).
        stall_fraction: the final fraction of the run over which "validation stopped improving"
            and "still improving" are judged.
        improving_drop: ``still_improving`` when validation loss fell over the final
            ``stall_fraction`` of the run by more than this fraction of its total drop.
        improving_level: ...or by more than this fraction of its own level (a curve that falls by
            orders of magnitude, read on a log scale); either way beyond ``noise_k`` standard
            errors of its slope, with its lowest epoch in that final stretch.
        improving_long: ...or a stretch this many times longer gained ``improving_level`` of the
            level, beyond ``noise_k`` standard errors (a curve that falls by a small, steady step
            each epoch: the README's quick starts).
        improving_new_low: either way, the final stretch's lowest value must beat the lowest
            value before the stretch by this many noise units: progress, not a recovery from a
            drift up.
        short_run, short_new_low_t, short_new_low_noise: a run of 5 to ``short_run`` epochs whose
            last value is its lowest, ``short_new_low_noise`` noise units below the best before it,
            is ``still_improving`` when its last half falls, by a least-squares line,
            ``short_new_low_t`` standard errors beyond 0 and by ``improving_drop`` of its drop (a
            bump in its last three epochs defeats the final-stretch test). Tuned on issue 11's
            tuning half: 2.0 gained two runs and lost none, 1.5 gained four and lost one. The same
            new low beside a training loss falling at each of its last steps needs no slope test.
        gap_doubled, gap_train_fall: ``overfitting`` too when validation's raw best is before the
            last ``stall_fraction`` of the run, training fell by ``gap_train_fall`` of its level
            since validation's smoothed minimum, and the gap grew to ``gap_doubled`` times what it
            was there, beyond noise (a validation plateau with a gap that keeps growing).
        underfit_level: ``underfitting`` when the settled training loss is still above this
            fraction of its starting level (or of the no-skill level)...
        underfit_gap: ...and training and validation are within this fraction of each other...
        underfit_flat: ...and the training loss fell by less than this fraction over the second
            half (a model with capacity to spare keeps lowering it), or a classifier's training
            accuracy ends below ``underfit_acc`` (it cannot fit its own training data).
        underfit_unanchored: with no no-skill level and no accuracy, a loss whose first logged value
            is already below a binary classifier's no-skill loss (``1 - chance_loss_above`` of ln 2)
            and that settled above this fraction of it is not ``underfitting``: its first epoch had
            learned most of what it learned, and nothing says its level is high for the task.
        fit_acc, fit_confidence: never ``underfitting`` when the training accuracy ends at
            ``fit_acc`` or above and ``exp(-loss)`` (the geometric-mean probability of the right
            class) is at least ``fit_confidence`` times that accuracy: the model fits its data.
        gap_warning: a generalisation gap larger than this fraction of the training loss is worth
            a warning.
        val_below_train: ``val_below_train`` when validation loss is below training loss by more
            than this fraction for most of the run; ``leak_ratio`` times it suggests leakage.
        leak_ratio: see ``val_below_train``.
        noisy_val: ``noisy_validation`` when validation's scatter around its trend exceeds this
            fraction of its level and is several times the training curve's relative scatter.
        plateau_fraction: progress counts as stopped where the smoothed curve has made this
            fraction of its total drop.
        stop_train_drop: a run that early stopping ended is ``overfitting`` (caught) when
            validation loss stopped improving while training loss fell by more than this fraction
            of its level from the validation minimum to the stop (the stop cuts the rise short of
            ``overfit_rise``).
    """

    min_epochs: int = 3
    settle_epochs: int = 5
    smooth_window: int = 5
    noise_k: float = 3.0
    explode_factor: float = 3.0
    end_above_start: float = 0.5
    learn_drop: float = 0.03
    train_moved: float = 0.15
    no_skill_margin: float = 0.02
    no_skill_r2: float = 0.05
    chance_loss_above: float = 0.10
    learn_acc_rise: float = 0.10
    chance_acc_low: float = 0.5
    chance_acc_high: float = 1.3
    unstable_roughness: float = 0.12
    unstable_val_confirms: float = 0.5
    unstable_jump: float = 0.5
    unstable_jumps: int = 3
    lr_raised_factor: float = 3.0
    unstable_near_zero: float = 0.1
    unstable_of_drop: float = 0.05
    unstable_acc_drop: float = 0.05
    diverged_r2: float = -100.0
    overfit_rise: float = 0.10
    overfit_rise_level: float = 0.05
    overfit_rise_min: float = 0.01
    overfit_acc_gap: float = 0.10
    overfit_gap_ratio: float = 10.0
    stall_fraction: float = 0.25
    improving_drop: float = 0.03
    improving_level: float = 0.10
    improving_long: float = 1.5
    improving_new_low: float = 1.0
    short_run: int = 12
    short_new_low_t: float = 2.0
    short_new_low_noise: float = 0.25
    gap_doubled: float = 2.0
    gap_train_fall: float = 0.05
    underfit_level: float = 0.25
    underfit_gap: float = 0.25
    underfit_flat: float = 0.06
    underfit_acc: float = 0.70
    underfit_unanchored: float = 0.75
    fit_acc: float = 0.90
    fit_confidence: float = 0.70
    gap_warning: float = 0.5
    val_below_train: float = 0.03
    leak_ratio: float = 5.0
    noisy_val: float = 0.05
    plateau_fraction: float = 0.95
    stop_train_drop: float = 0.10


DEFAULT = Thresholds()
