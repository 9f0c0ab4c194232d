"""A run that learned and settled: ``underfitting`` (its loss settled high, validation close to
training, the second half flat: the model cannot fit the data better) or else ``good_fit``. The
last verdict in the order: it always answers.

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``underfit_level`` (the settled level, relative to
the no-skill level or the start), ``underfit_gap`` (validation close to training), ``underfit_flat``
(what the second half still gained), ``underfit_acc`` (a training accuracy this low underfits
even while the loss still creeps down), ``fit_acc`` and ``fit_confidence`` (a classifier right and
sure on its training data fits it). One curve alone underfits only against a no-skill level or a
low accuracy.
"""

from __future__ import annotations

import math

import numpy as np

from fitwatch.diagnosis.checks.chance import fraction
from fitwatch.diagnosis.checks.context import NEAR_ZERO, Context, Verdict, mean, primary
from fitwatch.diagnosis.checks.loss_scale import softmax_twice
from fitwatch.diagnosis.checks.progress import cut_short, falling_to_the_end
from fitwatch.diagnosis.remedies import remedies_for


#: a training or a validation accuracy at which a classifier is never ``underfitting``
FIT_ACC_ONE = 0.99

#: a classifier short of fitting whose exp(-loss) is under this share of its training accuracy is held back
#: (right as often as that, but far less sure); 0.35, not ``fit_confidence``: with many classes, a calibrated
#: model's errors put a few percent on the right label, which pulls exp(-loss) to about half its accuracy (an
#: attack: the Bayes-optimal softmax on 100 Gaussian classes at 0.79 gives 0.50 of it, ImageNet-like numbers
#: 0.5; a Keras run held back by l2(0.05) gives 0.17)
UNSURE = 0.35


def _tail_mean(values: np.ndarray | None, k: int = 3) -> float | None:
    """The mean of the finite values among the last ``k`` of a curve of ``k`` or more (an accuracy at
    the end), or None."""
    if values is None or values.size < k:
        return None
    tail = values[-k:][np.isfinite(values[-k:])]
    return float(tail.mean()) if tail.size else None


def _learned_at_once(ctx: Context, ref, floor: float | None, level: float) -> bool:
    """A loss with nothing to say what "high" is (no no-skill level, no accuracy) that settled above
    ``underfit_unanchored`` of its first logged value and below ln 2: the first epoch had already
    learned most of it, so the level against that start is no evidence of underfitting (a fine-tune
    flat at 0.35 from its first evaluation on), and below a binary classifier's no-skill loss, ln 2,
    nothing says the level is high for the task. At or above ln 2 it may be a classifier at chance."""
    return (floor is None and ctx.acc is None and ctx.vacc is None and level > ctx.t.underfit_unanchored
            and ref.start < (1 - ctx.t.chance_loss_above) * math.log(2))


def settled(ctx: Context) -> Verdict:
    """Underfitting when the settled level is high, validation close to training and the second half
    flat; good fit otherwise."""
    t, cl, cv, acc, span = ctx.t, ctx.cl, ctx.cv, ctx.acc, ctx.span
    ref = cl or cv
    floor = ctx.no_skill(ref.start)
    base = floor if floor is not None else ref.start
    if acc is not None or ctx.vacc is not None:
        # a classifier's first epoch may already have learned a lot: judge its level against at
        # least a coin flip's cross-entropy, ln 2
        base = max(base, math.log(2))
    level = ref.end / base if base > 0 else 0.0
    gap = abs(cv.end - cl.end) / max(abs(cl.end), 1e-12) if cl is not None and cv is not None else 0.0
    acc_end = _tail_mean(acc)
    # a model with capacity to spare keeps lowering its training loss; one that cannot fit is flat
    h = ref.n // 2
    still = (float(mean(ref.y[max(0, h - 1): h + 2])) - ref.end) / max(abs(ref.end), 1e-12)
    # a classifier that cannot fit its own training data (accuracy below underfit_acc) underfits,
    # even while its loss still creeps down
    low_acc = acc_end is not None and acc_end < t.underfit_acc
    # a classifier right on most of its training data fits it, unless its loss is far above what that
    # accuracy needs (the geometric-mean probability of the right class, exp(-loss), well under the
    # accuracy: right but unsure, held back by heavy regularisation)
    fits = (acc_end is not None and acc_end >= t.fit_acc and ref is cl
            and math.exp(-cl.end) >= t.fit_confidence * acc_end)
    vacc_end = _tail_mean(ctx.vacc)
    # ...and one right on FIT_ACC_ONE of its training data, or of its validation data, has nothing left to fit,
    # however unsure (label smoothing keeps the loss high): a Keras run at 99.7 % / 99.3 % and loss 0.45
    # underfitted; so did a seventh trial's at 99.3 % / 97 % (smoothing 0.2) and a Trainer run at 100 % on
    # validation (no training accuracy logged) whose loss sat at its smoothing's floor, 0.325
    fits = fits or any(a is not None and a >= FIT_ACC_ONE for a in (acc_end, vacc_end)) or (
        ctx.smoothing and acc_end is not None and acc_end >= t.fit_acc)  # a floor the smoothing sets, not doubt
    fits = fits or softmax_twice(ctx) is not None  # ...or probabilities taken for logits set (softmax before the loss)
    # one curve alone says nothing of "close to the other": its level is evidence only against a
    # no-skill level or beside a low accuracy
    alone = cl is None or cv is None
    # a curve that fell at each of its last epochs has not settled: not underfitting, whatever its level
    settling = low_acc or not falling_to_the_end(ctx.main, t)
    # or, whatever its level against a start a penalty inflates (Keras adds L2 to the loss: 14.06 at epoch 0),
    # short of fitting and far less sure than right: exp(-loss) under UNSURE of the accuracy
    unsure = (ref is cl and acc_end is not None and acc_end < t.fit_acc and 0 < cl.end < 50
              and math.exp(-cl.end) < UNSURE * acc_end)
    high = settling and (level > t.underfit_level or unsure) and gap < t.underfit_gap \
        and (still < t.underfit_flat or low_acc) and not fits and not (alone and floor is None and not low_acc)
    high = high and not _fine_tune_level(ctx, floor, low_acc or unsure)
    unknown = high and _learned_at_once(ctx, ref, floor, level)
    # a schedule that ran out (its learning rate decayed to about 0) while the curve still fell at each epoch,
    # far from fitting the training data (its second half not flat, short of fitting and unsure): cut short by
    # the schedule, not settled (a new user's cosine run over 15 epochs ended at 62 % of ln 10 and 0.84
    # accuracy, exp(-loss) 0.24, where a longer one reaches 0.12 and 0.96: good_fit; an attack's run at its
    # ceiling, 0.94 at 0.80, exp(-loss) 0.39, is not)
    if (not high and ctx.lr_decayed is not None and falling_to_the_end(ctx.main, t) and level > t.underfit_level
            and still >= t.underfit_flat and unsure and (cut := cut_short(ctx)) is not None):
        return cut
    if high and base == ref.start and _came_back(ctx, ref):
        return _lost_it(ctx, ref)  # settled back where it started: nothing learned is left, not a model too small
    if high and not unknown:
        ev = {"smoothed_settled_loss": ref.end, "start": ref.start, "relative_level": level,
              "smoothed_train_val_gap": gap, "second_half_decrease": still}
        if floor is not None:
            ev["no_skill_level"] = floor
        if acc_end is not None:
            ev["train_accuracy"] = acc_end
        if level <= t.underfit_level:  # unsure, not high against its start: say what the accuracy says
            ev["mean_probability_of_the_label"] = math.exp(-cl.end)
        return Verdict("underfitting", primary(
            "underfitting", span, ev,
            f"{'Training' if ref is cl else 'Validation'} settled at {ref.end:.4g}, "
            + (f"at a training accuracy of {acc_end:.3g} and far less sure than right (exp(-loss) = "
               f"{math.exp(-cl.end):.2g}, the geometric mean probability of the right class)" if level <= t.underfit_level
               else f"still {100 * level:.0f}% of {'the no-skill level' if floor is not None else 'where it started'}")
            + (f", with validation close to it ({100 * gap:.0f}% apart)" if cl is not None and cv is not None else
               " (there is only this curve)")
            + ": the model cannot fit the data better as it is.",
            # (a second half flat as it is here: more epochs would add nothing, a fifth trial's plateau said so)
            remedies_for("underfitting", drop=("more_epochs",) if still < t.underfit_flat else ())))
    return _good_fit(ctx, level, gap, unknown)


def _fine_tune_level(ctx: Context, floor: float | None, doubt: bool) -> bool:
    """A pretrained model's fine-tune (a Trainer's log) whose level is measured against its own first value (no
    no-skill level), with no low or unsure training accuracy (``doubt``) nor a validation accuracy under
    ``underfit_acc``: that level says nothing of its capacity (two tune fine-tunes settled level with their training
    loss at 0.56-0.57 of their start, labelled good_fit, were underfitting). Against ln k it does (an attack: a
    from-scratch run through the Trainer at 72 % of ln 4 had become good_fit; a Trainer logs no training accuracy)."""
    vacc_end = _tail_mean(fraction(ctx.vacc)) if ctx.vacc is not None else None
    low_val = vacc_end is not None and vacc_end < ctx.t.underfit_acc
    return ctx.pretrained and floor is None and not doubt and not low_val


def _came_back(ctx: Context, ref) -> bool:
    """``ref`` fell twice ``learn_drop`` below its start, then settled at or above it, and validation (when there is
    one) is back at its start too (an attack: a training loss that rose with its augmentation while validation fell to
    its best is no model that lost what it learned)."""
    t = ctx.t
    back = ctx.cv is None or ctx.cv.end >= (1 - 2 * t.learn_drop) * ctx.cv.start
    return back and ref.end >= ref.start and ref.min < (1 - 2 * t.learn_drop) * ref.start


def _lost_it(ctx: Context, ref) -> Verdict:
    """``not_learning``: the curve fell, then came back to where it started and settled there (a ninth trial's
    AdamW at weight_decay 50: 0.98 -> 0.86 -> 1.002, "underfitting, still 101 % of where it started")."""
    low = int(np.argmin(ref.s))
    ev = {"start": ref.start, "smoothed_lowest": float(ref.s[low]), "lowest_epoch": ctx.Ek(low),
          "smoothed_settled_loss": ref.end}
    name = "Training" if ref is ctx.cl else "Validation"
    return Verdict("not_learning", primary(
        "not_learning", ctx.span, ev,
        f"{name} loss fell to {ref.s[low]:.4g} around epoch {ctx.Ek(low)}, then came back to where it started and settled "
        f"there ({ref.end:.4g} against {ref.start:.4g}; values smoothed): what the model learned was lost. "
        f"{ctx.why_collapsed()}",
        remedies_for("not_learning", first=ctx.collapse_remedies(), drop=("lr_up",))))


#: a last value this far above the raw best (a fraction of the best) is said beside ``good_fit``
LAST_ABOVE_BEST = 0.2


def _good_fit(ctx: Context, level: float, gap: float, unknown: bool = False) -> Verdict:
    """``good_fit``, its evidence and message; a last value far above the raw best (``LAST_ABOVE_BEST``
    of it and beyond the curve's noise) is said: the verdict reads the smoothed curve, which a late rise
    or a noisy last epoch hardly moves (a Lightning run whose validation went 0.70 -> 0.84 -> 1.25 over
    its last two epochs was told it "stays close to its best")."""
    t, cl, cv, main, span = ctx.t, ctx.cl, ctx.cv, ctx.main, ctx.span
    ev = {"smoothed_min_val_loss" if cv is not None else "smoothed_min_loss": main.min,
          "best_val_loss" if cv is not None else "best_loss": float(main.y.min()), "end": float(main.y[-1]),
          "smoothed_end": main.end, "relative_level": level}
    if cl is not None and cv is not None:
        # the gap the message states: the last epoch's, as logged (the rule read the smoothed ends')
        # relative to training: none to a training value of 0 (an error of 0, judged on an accuracy)
        ev["smoothed_train_val_gap"] = gap if abs(cl.end) > 1e-12 else None
        gap = abs(float(cv.y[-1]) - float(cl.y[-1])) / max(abs(float(cl.y[-1])), 1e-12)
        ev["train_val_gap"] = gap if abs(float(cl.y[-1])) > 1e-12 else None
    # a curve that still falls at each of its last epochs has not "settled": it creeps (a validation loss
    # at an accuracy of 1.0 growing more confident, which still_improving leaves out)
    how = "fell and still creep down at each epoch" if falling_to_the_end(main, t) else "fell and settled"
    best, last = float(main.y.min()), float(main.y[-1])
    above = (last - best) / abs(best) if best else 0.0
    above = above if above > LAST_ABOVE_BEST and last - best > t.noise_k * main.sigma else 0.0
    # what stays close to its best: the smoothed curve the verdict read, when the last value is far above it
    stays, val_stays = ("its smoothed curve stays", "validation's smoothed curve stays") if above else \
        ("stays", "validation stays")
    msg = (f"The training loss {how.replace('creep', 'creeps')}." if cv is None else
           f"The validation loss {how.replace('creep', 'creeps')}, and {stays} close to its best." if cl is None else
           ("Both losses fell; validation still creeps down at each epoch, close to its best" if how != "fell and settled"
            else f"Both losses fell and settled; {val_stays} close to its best")
           + (f", and ends {'above' if cv.y[-1] >= cl.y[-1] else 'below'} training by "
              + (f"{gap:.0f}x" if gap >= 10 else f"{100 * gap:.0f}% of") + " the training loss."
              if gap < NEAR_ZERO else "; training is near 0 (far below validation)."))
    if above:
        ev["last_above_best"] = above
        msg += (f" Its last value, {last:.4g}, is {100 * above:.0f}% above its best ({best:.4g} at epoch "
                f"{ctx.Ek(int(np.argmin(main.y)))}): a noisy last epoch or the start of a rise, which the "
                f"smoothed curve hardly shows yet; watch the next epochs.")
    if unknown:  # underfitting's shape, with nothing to say the level is high (_learned_at_once)
        ev["level_unanchored"] = True
        ref = "training" if cl is not None else "validation"
        msg += (f" Nothing in the log says whether this level is high for the task (no accuracy, no no-skill "
                f"level): the {ref} loss settled at {100 * level:.0f}% of its first value, which had already "
                f"learned. A loss whose "
                f"no-skill level is itself low (an imbalanced class prior, a Huber loss on a standardised "
                f"target) sits this close to it when the model underfits: log an accuracy, or give the "
                "no-skill loss (--baseline, or Run(config={'baseline': ...})), and the level is judged against it.")
    return Verdict("good_fit", primary("good_fit", span, ev, msg, remedies_for("good_fit")))
