"""The finer signs read from validation against training, whatever the verdict (but diverged or
too few epochs): the generalisation gap (``generalization_gap``), validation below training
(``val_below_train``, a possible leak), a noisy validation curve (``noisy_validation``: a small
validation set?) and a validation loss rising while validation accuracy holds or rises (``overconfident``).

Thresholds (:mod:`fitwatch.diagnosis.thresholds`): ``gap_warning`` and ``noise_k`` (gap),
``val_below_train`` and ``leak_ratio`` (validation below training), ``noisy_val`` (noisy validation);
all need both curves and ``min_epochs``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from fitwatch.diagnosis.checks.chance import accuracy_rose, fraction
from fitwatch.diagnosis.checks.context import NEAR_ZERO, Context, mean, median
from fitwatch.diagnosis.checks.instability import train_rose_too
from fitwatch.diagnosis.checks.progress import at_ceiling
from fitwatch.diagnosis.checks.short import short_warning
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import remedies_for


def validation_signs(ctx: Context) -> list[Finding]:
    """Each sign that holds, in this order: gap, validation below training, noisy validation,
    over-confidence."""
    cl, cv = ctx.cl, ctx.cv
    if cl is None or cv is None or not cl.n >= ctx.t.min_epochs:
        return []
    out = []
    # a run too short to settle, falling at each epoch: a validation curve that fell at each epoch too scatters
    # around a trend it bends away from, no noise, and validation below an epoch-averaged training loss by no more
    # than half its fall an epoch is the half-epoch lag (a sixth trial: a run 3-4 epochs in was told its validation set
    # is small, and that validation data leaked)
    short = short_warning(ctx) is not None
    for sign in (generalization_gap, val_below_train, noisy_validation, _confidence_or_transfer):
        if short and sign is noisy_validation and bool(np.all(np.diff(ctx.cv.y) < 0)):
            continue  # (a validation that jumps about in a short run is noisy: an attack)
        f = sign(ctx)
        if short and f is not None and f.code == "val_below_train" and _lag_explains(ctx, f.evidence):
            continue
        if f is not None:
            out.append(f)
    return out


#: the gap "grows" over the second half by this share of its size at least, beyond the noise
GAP_GROWS = 0.01
#: logged training and validation accuracies this close (a fraction) make a large loss gap a sign, not a warning
ACC_CLOSE = 0.05


def generalization_gap(ctx: Context) -> Finding | None:
    """The gap's size at the end and its trend over the second half: a warning when large (``gap_warning`` of
    the training loss) and growing, unless logged accuracies end within :data:`ACC_CLOSE` of each other."""
    cl, cv, t = ctx.cl, ctx.cv, ctx.t
    n = cl.n
    gap = cv.s - cl.s
    g_end = float(gap[-1])
    rel = g_end / max(abs(cl.end), 1e-12)
    half = gap[n // 2:]
    trend = float(half[-1] - half[0]) if half.size > 1 else 0.0
    # ...and by 1 % of the gap or more: a flat pair of curves (a booster's, sigma 0) grew by 3.7e-13 (a ninth trial)
    growing = trend > max(t.noise_k * cv.sigma / math.sqrt(max(1, half.size // 2)), GAP_GROWS * abs(float(gap[-1])))
    if not g_end > 0:
        return None
    # logged accuracies within ACC_CLOSE of each other: the loss gap is mostly confidence, not answers the
    # model gets wrong on validation only (a new user's healthy runs, training near 0 and 96-98 % on
    # validation, got a warning at 185-367 % of the training loss, with L2, dropout and augmentation)
    accs = [float(np.mean(fraction(x[-3:][np.isfinite(x[-3:])]))) if x is not None and np.isfinite(x[-3:]).any()
            else None for x in (ctx.acc, ctx.vacc)]
    close = None not in accs and accs[0] - accs[1] < ACC_CLOSE
    sev = "warning" if rel > t.gap_warning and growing and not close else "info"
    # the message states the last epoch's gap as logged when it is above 0 too (the rule read the
    # smoothed one: a new user found 197 % where the file gives 207 %); else the smoothed one, said so
    raw, train = float(cv.y[-1] - cl.y[-1]), float(cl.y[-1])
    said, base, how = (raw, train, "") if raw > 0 else (g_end, float(cl.s[-1]), " (smoothed)")
    said_rel = said / max(abs(base), 1e-12)
    # no ratio to a training value at or below 0 (an error of 0: a training accuracy of 1.0 judged with
    # --monitor val_accuracy gave 1.3e+11): the evidence says None
    return Finding(
        "generalization_gap", sev, [ctx.Ek(n // 2), ctx.span[1]],
        {"gap_end": raw, "smoothed_gap_end": g_end, "relative_to_train": said_rel if base > 0 else None,
         "smoothed_relative_to_train": rel if float(cl.end) > 0 else None,
         "trend_second_half": trend, "growing": growing},
        f"Validation loss ends {said:.4g} above training{how} ("
        + ("the training loss is at or below 0: no ratio to it" if base <= 0 else
           "the training loss is near 0" if said_rel >= NEAR_ZERO else
           (f"{said_rel:.0f}x" if said_rel >= 10 else f"{100 * said_rel:.0f}% of") + " the training loss") + "), "
        f"{'and the gap is growing' if growing else 'and the gap is not growing'}"
        + (f"; the accuracies are {100 * (accs[0] - accs[1]):.1f} points apart ({accs[0]:.3f} training, {accs[1]:.3f} "
           f"validation, means of the last 3 epochs): the gap is mostly confidence" if close and rel > t.gap_warning
           and growing else "") + ".",
        remedies_for("generalization_gap") if sev == "warning" else [])


def val_below_train(ctx: Context) -> Finding | None:
    """Validation below training in most epochs; far below for long, a possible leak (as a ratio: a
    loss that goes negative, a negative log-likelihood or an ELBO, has no such sign)."""
    cl, cv, t = ctx.cl, ctx.cv, ctx.t
    n = cl.n
    below = cv.y < cl.y * (1 - t.val_below_train)
    share = float(mean(below[1:])) if n > 1 else 0.0
    if not (share > 0.6 and cl.y.min() > 0):
        return None
    ratio = float(median(cv.y[1:] / np.maximum(cl.y[1:], 1e-12)))
    leak = ratio < 1 - t.leak_ratio * t.val_below_train
    ev = {"share_of_epochs": share, "median_val_over_train": ratio}
    held = _accuracy_held_back(ctx)
    if held is not None:
        ev.update(train_accuracy_end=held[0], val_accuracy_end=held[1])
    said = (f"Validation loss is more than {100 * t.val_below_train:.0f}% below training loss in {int(below[1:].sum())} "
            f"of the {n - 1} epochs after the first ({100 * share:.0f}%; median ratio {ratio:.2f})")
    if leak and held is not None:  # training's own numbers held back: that explains the gap before a leak does
        return Finding(
            "val_below_train", "warning", ctx.span, ev,
            said + f", and training accuracy ends at {held[0]:.3g} against validation's {held[1]:.3g}: something "
            f"that acts in training only (dropout, augmentation, noise, batch norm over very small batches) holds the "
            f"training numbers back that much, "
            f"which is enough to explain a validation loss this far below training's; whether a leak adds to it "
            f"the curves cannot tell.",
            remedies_for("val_below_train", first=["less_regularisation", "val_below_train_ok"]))
    # a validation set of a few dozen samples (its accuracy's steps count them) may be easier than training by chance:
    # too few to read a leak from (a ninth trial's 20 validation rows, and 2 of a minority class, were told of leaks)
    few = val_samples(ctx.vacc) if leak else None
    if few is not None:
        return Finding(
            "val_below_train", "info", ctx.span, {**ev, "val_samples": few},
            said + f"; its accuracy moves in steps of 1/{few}: a validation set of about {few} samples, which can be "
            f"easier than the training set by chance; too few to read a leak from.",
            remedies_for("val_below_train", first=["bigger_val", "val_below_train_ok"]))
    # the run says it uses something that acts in training only (unless accuracies say otherwise: an attack's
    # dropout 0.5 beside training accuracy above validation's was explained away; equal ones, 0.98 and 0.98, say
    # nothing against it: a seventh trial's dropout 0.5 got the leak warning only once it logged them)
    if leak and ctx.train_only and ratio >= 0.5 and not _train_accuracy_ahead(ctx):
        return Finding(
            "val_below_train", "warning", ctx.span, {**ev, "acts_in_training_only": ctx.train_only},
            said + f": the run uses {ctx.train_only}, which acts in training only and raises the training loss "
            f"alone, enough to explain much of it; whether a leak adds to it the curves cannot tell.",
            remedies_for("val_below_train", first=["val_below_train_ok"]))
    return Finding(
        "val_below_train", "warning" if leak else "info", ctx.span, ev,
        said + ("; that much, that long, can mean validation data leaked into training." if leak else
                ": usual when dropout or other regularisation acts only in training, when an epoch's training "
                "loss is averaged over an epoch that was still learning, or when the validation split is easier."),
        remedies_for("val_below_train", first=["leakage"] if leak else []))


#: how far validation accuracy must sit above training's over the last third of the run (median,
#: absolute) for a validation loss far below training's to read as training held back, not a leak
ACC_HELD_BACK = 0.05


def _lag_explains(ctx: Context, ev: dict) -> bool:
    """Validation below training by no more than half the training loss's median fall an epoch (relative): the
    half-epoch lag of an epoch-averaged training loss explains it in a short run falling that fast (an attack:
    a run falling 1.7 % an epoch, validation at 0.40 of training, had lost its leak warning)."""
    y = ctx.cl.y
    fall = float(np.median(-np.diff(y) / np.maximum(np.abs(y[:-1]), 1e-12))) if y.size > 1 else 0.0
    return 1 - ev.get("median_val_over_train", 1.0) <= 0.5 * fall  # (half an epoch's fall: an attack)


def _acc_tail(ctx: Context) -> tuple[float, float, float] | None:
    """The median of validation accuracy minus training's over the last third of the epochs, with the last
    (training, validation) pair where both are finite; or None."""
    if ctx.acc is None or ctx.vacc is None or ctx.acc.size != ctx.vacc.size or ctx.acc.size < 3:
        return None
    a, v = fraction(ctx.acc), fraction(ctx.vacc)
    ok = np.isfinite(a) & np.isfinite(v)
    a, v = a[ok], v[ok]
    tail = slice(-max(2, a.size // 3), None)
    return (float(median(v[tail] - a[tail])), float(a[-1]), float(v[-1])) if a.size >= 3 else None


def _train_accuracy_ahead(ctx: Context) -> bool:
    """Training accuracy sits more than a point above validation's over the last third: what acts in training
    only does not hold training back, and cannot explain validation's loss far below it."""
    tail = _acc_tail(ctx)
    return tail is not None and tail[0] < -0.01


def _accuracy_held_back(ctx: Context) -> tuple[float, float] | None:
    """(training, validation) accuracy at the end when validation's sits ``ACC_HELD_BACK`` or more
    above training's over the last third of the epochs (median of the differences), else None."""
    tail = _acc_tail(ctx)
    return tail[1:] if tail is not None and tail[0] >= ACC_HELD_BACK else None


#: a validation accuracy in steps of 1/n for an n up to this counts its samples: a set that small is noisy
FEW_SAMPLES = 50


def val_samples(vacc: np.ndarray | None) -> int | None:
    """The smallest n whose multiples of 1/n every finite validation accuracy is (to 1e-4), for n up to
    :data:`FEW_SAMPLES`, when it takes 3 or more values, 2 of them between 0 and 1: the accuracy counts
    right answers among about n samples (0.9, 0.95, 1.0: 20); else None.

    Example:
        >>> val_samples(np.array([0.9, 0.95, 1.0, 0.95, 0.85]))
        20
        >>> val_samples(np.array([0.9012, 0.9421, 0.9533])) is None
        True
    """
    if vacc is None:
        return None
    a = fraction(vacc[np.isfinite(vacc)])
    inner = np.unique(np.round(a[(a > 0) & (a < 1)], 6))
    if inner.size < 2 or np.unique(np.round(a, 6)).size < 3:
        return None
    return next((n for n in range(2, FEW_SAMPLES + 1) if np.all(np.abs(a * n - np.round(a * n)) < 1e-4 * n)), None)


def noisy_validation(ctx: Context) -> Finding | None:
    """Validation scatters by ``noisy_val`` of its level and 3x more than training, or by ``noisy_val``
    of its level beside an accuracy that counts :data:`FEW_SAMPLES` samples or fewer (:func:`val_samples`:
    a seventh trial's 20 validation samples, their loss 0.012-0.098 near 0, where a training loss that fell
    from 1.6 scatters as much for its level)."""
    cl, cv = ctx.cl, ctx.cv
    vrel = cv.sigma / max(abs(cv.level), 1e-12)
    lrel = cl.sigma / max(abs(cl.level), 1e-12)
    n = val_samples(ctx.vacc) if vrel > ctx.t.noisy_val else None
    if not (vrel > ctx.t.noisy_val and (vrel > 3 * lrel or n is not None)):
        return None
    ev = {"val_noise_relative": vrel, "train_noise_relative": lrel, **({"val_samples": n} if n else {})}
    return Finding(
        "noisy_validation", "info", ctx.span, ev,
        f"Validation loss scatters by about {100 * vrel:.0f}% of its level from epoch to epoch, "
        + (f"{vrel / max(lrel, 1e-12):.0f}x the training loss's scatter" if vrel < NEAR_ZERO * lrel
           else "while the training loss hardly scatters")
        + (f", and its accuracy moves in steps of 1/{n} ({1 / n:.3g}): a validation set of {n} samples, or a small "
           f"multiple, where one sample moves the accuracy that much" if n else ": is the validation set small?"),
        remedies_for("noisy_validation"))


#: a validation accuracy at most this many times chance (1/k) learned nothing (half again: a first evaluation after an
#: epoch of training scatters around it)
CHANCE_NEAR = 1.5


def _confidence_or_transfer(ctx: Context) -> Finding | None:
    """:func:`nothing_transfers` when it holds (over-confidence on the examples it gets wrong is no reading of a
    model that gets them all wrong), else :func:`overconfident`."""
    return nothing_transfers(ctx) or overconfident(ctx)


def nothing_transfers(ctx: Context) -> Finding | None:
    """Training accuracy rose (``accuracy_rose``, by ``learn_acc_rise`` or more) while validation's never did, nor
    ever got ``learn_acc_rise`` above its first value nor above :data:`CHANCE_NEAR` times chance or chance plus
    ``learn_acc_rise``, and training's ends twice ``learn_acc_rise`` above validation's best: nothing the model learned
    carries over to the validation data (a seventh trial's validation set shifted by 2 pixels: 0.07-0.13 accuracy all
    run, training's 0.44 -> 0.99, was told the model grows over-confident and to keep the weights of epoch 0).
    Shuffled training labels, validation prepared unlike training, validation labels that do not match their inputs,
    or another distribution are the suspects."""
    acc, vacc, t = ctx.acc, ctx.vacc, ctx.t
    if acc is None or vacc is None or not accuracy_rose(acc, t) or accuracy_rose(vacc, t):
        return None
    va = fraction(vacc[np.isfinite(vacc)])
    a = fraction(acc[np.isfinite(acc)])
    # (and training ends far above validation's best: a training accuracy that rose to the class prior validation
    # had from its first epoch learned nothing to transfer)
    if va.size < 4 or float(va.max()) - float(va[0]) >= t.learn_acc_rise or a[-1] < va.max() + 2 * t.learn_acc_rise:
        return None
    # ...and validation's best within half again of chance and no more than 0.10 above it, 1/k for a loss that started
    # at ln k (either curve's, the fewer classes: the more lenient chance): a validation accuracy flat at 0.77 from its
    # first epoch had learned then, and only overfits since; a loss logged after an epoch of training starts below
    # ln k, so k comes out small, and 1.5/2 = 0.75 is a binary model's skill (an attack's)
    ks = [round(math.exp(f)) for f in (ctx.no_skill(c.start) for c in (ctx.cl, ctx.cv) if c is not None) if f]
    # or validation's own accuracy at 1/k beside its first loss at ln k (a first training epoch that learned a lot
    # hides k from the training loss, and validation's smoothed start rises with it: an attack's Lightning run with
    # validation labels shuffled, 0.10 beside a first validation loss of 2.37, got no word of it)
    mid = float(median(va))
    k = round(1 / mid) if mid > 0 else 0
    # (and validation never got learn_drop below its first value: a model that learned coarse groups of the classes
    # sits at 1/groups and ln groups, but its validation fell first; a second attack's 4 classes as 2 groups and a
    # coin flip, 0.745 -> 0.714 -> 1.83 at 0.48-0.51, was told nothing transfers)
    lnk = math.log(k) if k >= 2 and float(np.nanmin(ctx.cv.y)) >= (1 - t.learn_drop) * float(ctx.cv.y[0]) else 0.0
    if lnk and (1 - t.no_skill_margin) * lnk <= float(ctx.cv.y[0]) <= (1 + t.chance_loss_above) * lnk:
        ks.append(k)
    if not ks or float(va.max()) > min(CHANCE_NEAR / min(ks), 1 / min(ks) + t.learn_acc_rise):
        return None
    ev = {"train_accuracy_first": float(a[0]), "train_accuracy_end": float(a[-1]),
          "val_accuracy_first": float(va[0]), "best_val_accuracy": float(va.max())}
    return Finding(
        "nothing_transfers", "warning", ctx.span, ev,
        f"Validation accuracy never rose ({ev['val_accuracy_first']:.3g} at the first epoch, at best "
        f"{ev['best_val_accuracy']:.3g}) while training accuracy rose from {ev['train_accuracy_first']:.3g} to "
        f"{ev['train_accuracy_end']:.3g}: nothing the model learned carries over to the validation data. Check that "
        f"the training labels match their inputs (shuffled ones are memorised like this), that validation is prepared "
        f"as training is (normalisation, resizing, channel order, tokeniser), that its labels match its inputs, and "
        f"that it comes from the same distribution.", remedies_for("nothing_transfers"))


def overconfident(ctx: Context) -> Finding | None:
    """Validation loss rising while validation accuracy holds or rises. When the accuracy ends
    ``learn_acc_rise`` or more above its value at the best epoch (the lowest validation loss), that
    epoch is not the model to keep: the evidence ``accuracy_rose_since_best`` says so, and the
    remedies stop pointing at it (:data:`fitwatch.diagnosis.remedies.RULES`)."""
    cv, vacc, Ek = ctx.cv, ctx.vacc, ctx.Ek
    n = ctx.cl.n
    m = cv.imin
    if not (vacc is not None and m < n - 2 and cv.end - cv.min > ctx.t.noise_k * cv.sigma / math.sqrt(3)):
        return None
    va = vacc[~np.isnan(vacc)] if vacc.size != n else vacc
    if not (va.size == n and np.all(np.isfinite(va))):
        return None
    a_m = float(np.max(va[max(0, m - 1): m + 2]))
    a_end = float(mean(va[-3:]))
    # (not with every validation example right, nor with training's loss rising with validation's: confidence
    # shrinking on right answers, a penalty pulling the weights in; an attack's AdamW at weight decay 50, both
    # losses up 40-50 % from epoch 2 at a validation accuracy of 1.000, was "over-confident on the examples it gets
    # wrong")
    if not a_end >= a_m - 0.005 or at_ceiling(va, 3) or train_rose_too(ctx.cl, cv, m):
        return None
    # evidence names say what the numbers are: the loss smoothed, the accuracy the best of the 3 epochs
    # around the smoothed minimum and the mean of the last 3 (a trial read them as values at the best
    # epoch and at the end, which no epoch logged)
    ev = {"smoothed_min_val_loss": cv.min, "smoothed_val_loss_end": cv.end, "max_val_accuracy_around_min": a_m,
          "mean_val_accuracy_last_3": a_end}
    msg = (f"Validation loss rose from {cv.min:.4g} to {cv.end:.4g} (smoothed) after epoch {Ek(m)} while validation "
           f"accuracy {'rose' if a_end - a_m >= _ROSE else 'held'} ({a_m:.3f} around epoch {Ek(m)} -> {a_end:.3f} "
           f"over the last 3): the model grows over-confident on the examples it gets wrong.")
    b = ctx.best if ctx.best is not None else m
    fell = _score_fell(ctx, b)
    if fell is not None:  # the accuracy's rise is no better model by a score the run chose to log
        key, at_b, end = fell
        ev.update(score_fell_since_best=key, mean_score_around_best_epoch=at_b, mean_score_last_3=end)
        msg += (f" But {key} fell from {at_b:.3f} around the lowest validation loss (epoch {Ek(b)}) to {end:.3f} over the "
                f"last 3: the accuracy's rise is no better model by that measure (an imbalanced task's accuracy rises "
                f"as the model favours its majority class); choose the epoch to keep by the metric you care about.")
    elif a_end - float(va[b]) >= ctx.t.learn_acc_rise:  # the lowest loss is not the best model
        top = b + int(np.argmax(va[b:]))  # the best since (before it: a model still learning, or one class)
        ev.update(accuracy_rose_since_best=True, val_accuracy_at_best_epoch=float(va[b]),
                  best_val_accuracy=float(va[top]), best_val_accuracy_epoch=Ek(top))
        msg += (f" The lowest validation loss, epoch {Ek(b)}, had {float(va[b]):.3f} accuracy against "
                f"{float(va[top]):.3f} at epoch {Ek(top)}: choose the epoch to keep by the accuracy (or the metric "
                f"you care about), not by the loss.")
    return Finding("overconfident", "warning", [Ek(m), ctx.span[1]], ev, msg, remedies_for("overconfident"))


#: an accuracy that ends this much (absolute) above its value at validation's smoothed minimum "rose"
_ROSE = 0.01
#: a validation score (recall, F1, AUC...) that ends this much below its value at the best epoch "fell": half of
#: ``learn_acc_rise``, the rise that makes an accuracy's story count (points for a score in percent)
SCORE_FELL = 0.05
#: the scores that count beside an accuracy: higher is better, and not the accuracy itself nor an R²; a name
#: that says it is a loss or an error (val_dice_loss, val_iou_loss, val_mape) is no score
_SCORE = re.compile(r"^val_(?!.*(loss|error|err$|mape|mae|mse|rmse)).*(auc|f1|fbeta|precision|recall|sensitivity|"
                    r"specificity|iou|dice|map|mcc|kappa|balanced)", re.IGNORECASE)


def val_scores(series: dict, idx: np.ndarray) -> dict:
    """The validation scores other than the accuracy (:data:`_SCORE`) on the judged epochs ``idx``. Example:
        >>> sorted(val_scores({"val_recall": np.ones(4), "val_accuracy": np.ones(4), "val_dice_loss": np.ones(4)},
        ...                   np.arange(4)))
        ['val_recall']
    """
    return {k: np.asarray(v, dtype=np.float64)[idx] for k, v in series.items() if _SCORE.match(k)}


def _score_fell(ctx: Context, b: int) -> tuple[str, float, float] | None:
    """The first validation score of ``ctx.scores`` whose mean over the last 3 epochs ends :data:`SCORE_FELL`
    (of its scale) and twice its epoch-to-epoch scatter below its mean over the 3 epochs around the best epoch
    ``b``, with both means; None when another logged score rose as much (recall traded for precision, an F1
    that rose: no worse model by every measure). Means against means: the best of 3 noisy epochs against a mean
    fell by the noise alone (an attack: a flat recall at 0.76 with one 0.81)."""
    fell, rose = [], False
    for key, v in ctx.scores.items():
        if v.size < b + 4 or not np.all(np.isfinite(v[max(0, b - 1):])):
            continue
        at_b, end = float(mean(v[max(0, b - 1): b + 2])), float(mean(v[-3:]))
        scale = 100.0 if np.nanmax(v) > 1.0 else 1.0
        scatter = float(median(np.abs(np.diff(v[max(0, b - 1):]))))
        if at_b - end >= max(SCORE_FELL * scale, 2 * scatter):
            fell.append((key, at_b, end))
        elif end - at_b >= SCORE_FELL * scale:
            rose = True
    return fell[0] if fell and not rose else None
