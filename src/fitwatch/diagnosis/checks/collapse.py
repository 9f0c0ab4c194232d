"""Validation collapsed: its accuracy stopped at one value while the training accuracy rose far above it.

The model gives every validation input the same answer (the accuracy is the share of one class, or 0)
while it learns to tell its training inputs apart: what it learns does not reach the validation data.
The usual causes are a validation set prepared otherwise than the training set (inputs not scaled or
normalised as in training, another tokeniser, a different image size or channel order) or labels that
do not line up with its inputs. Judged ``not_learning``: nothing learned generalises, whatever the
validation loss does, and its best epoch is no model worth keeping.

Thresholds: ``learn_acc_rise`` (the training accuracy's rise), ``overfit_acc_gap`` (twice it: how far training ends
above the frozen value), :data:`COLLAPSE_CEILING`, :data:`COLLAPSE_EARLY`, :data:`COLLAPSE_LOSS_RISE`,
:data:`COLLAPSE_NEVER_NEAR`.
"""

from __future__ import annotations

import numpy as np

from fitwatch.diagnosis.checks.chance import SAME, fraction, frozen_from
from fitwatch.diagnosis.checks.context import Context, Verdict, primary
from fitwatch.diagnosis.remedies import remedies_for

#: a validation accuracy frozen at this or above is a ceiling reached (every input right), not a collapse
COLLAPSE_CEILING = 0.9

#: the validation loss must end this many times its lowest: one answer for every input, held with growing confidence
#: (a small validation set's frozen accuracy beside an overfit grows its loss 1.1-2.2 times; unscaled validation
#: inputs 5-1000 times)
COLLAPSE_LOSS_RISE = 3.0

#: the validation accuracy must freeze within this share of the run: inputs prepared unlike training's get one answer
#: from the first epochs, whatever the rate; one that froze later is a rate run down beside a small validation set (a
#: third attack: ReduceLROnPlateau, MultiStepLR or a linear decay to 0 froze 60-90 examples' accuracy from epoch 16-26
#: of 60, their loss 3-5 times its lowest, healthy overfits all)
COLLAPSE_EARLY = 0.25

#: the validation loss's lowest must be this many times the training loss's first value or more: the validation data
#: was far worse than a constant guess from the start, never read as the training data is (a fourth attack: validation
#: sets of 5-12 examples froze within 3-10 epochs while the model memorised noisy labels, their lowest 0.5-1.7 times
#: training's first; unscaled validation inputs 3.7 times or more)
COLLAPSE_NEVER_NEAR = 3.0


def val_collapsed(ctx: Context) -> Verdict | None:
    """``not_learning`` when the validation accuracy held one value under :data:`COLLAPSE_CEILING` from the first
    :data:`COLLAPSE_EARLY` of the run on and for its last half or more (3 evaluations or more) while the training
    accuracy, still moving over that stretch, ended ``learn_acc_rise`` or more above its start (or its value where
    validation's froze) and twice ``overfit_acc_gap`` or more above the frozen value, and the validation loss did
    not fall over the stretch and ended :data:`COLLAPSE_LOSS_RISE` times its lowest or more, a lowest never under
    :data:`COLLAPSE_NEVER_NEAR` times the training loss's first value (an attack's breast-
    cancer MLP whose validation inputs were left unscaled: validation accuracy 0.374 from its second epoch, training
    0.99, validation loss 6.7 -> 557, was ``overfitting``, told to stop early and keep the best epoch's weights, a
    model no better than one class).

    Example:
        >>> from fitwatch.diagnosis import diagnose
        >>> d = diagnose({"loss": [0.68, 0.53, 0.41, 0.31, 0.24, 0.19, 0.16, 0.14],
        ...               "val_loss": [16.1, 6.7, 32.9, 60.5, 91.1, 121.6, 150.7, 178.7],
        ...               "accuracy": [0.56, 0.85, 0.92, 0.94, 0.95, 0.95, 0.96, 0.97],
        ...               "val_accuracy": [0.63, 0.374, 0.374, 0.374, 0.374, 0.374, 0.374, 0.374]})
        >>> d.verdict, d.findings[0].code
        ('not_learning', 'not_learning')
    """
    t, cl, cv, acc, vacc = ctx.t, ctx.cl, ctx.cv, ctx.acc, ctx.vacc
    if cl is None or cv is None or acc is None or vacc is None or acc.size != vacc.size or vacc.size < 6:
        return None
    if not (np.isfinite(acc).all() and np.isfinite(vacc).all()):
        return None
    a, va = fraction(acc), fraction(vacc)
    k, n = frozen_from(va), va.size
    v = float(va[-1])
    if n - k < max(3, n // 2) or k > n * COLLAPSE_EARLY or v >= COLLAPSE_CEILING:
        return None
    end, low = float(np.mean(a[-3:])), float(min(a[0], a[k]))
    if end - low < t.learn_acc_rise or float(np.ptp(a[k:])) <= SAME or end - v < 2 * t.overfit_acc_gap:
        return None
    last, lowest = float(cv.y[-1]), float(np.min(cv.y))
    if last < float(cv.y[k]) or not last >= COLLAPSE_LOSS_RISE * lowest > 0 \
            or not lowest >= COLLAPSE_NEVER_NEAR * float(cl.y[0]) > 0:
        return None
    ev = {"val_accuracy": v, "val_accuracy_frozen_from": ctx.Ek(k), "train_accuracy_low": low,
          "mean_train_accuracy_last_3": end, "val_loss_at_freeze": float(cv.y[k]), "val_loss_end": last}
    since = f"from epoch {ctx.Ek(k)}" if k else "at every epoch"
    msg = (f"Validation accuracy stopped at {v:.4g} {since} (most likely the same answer for every validation input) "
           f"while training accuracy rose from {low:.3g} to {end:.3g}, and the validation loss went from "
           f"{float(cv.y[k]):.4g} to {last:.4g}: what the model learns on its training data does not "
           f"reach the validation data. Check that the validation inputs are prepared as the training inputs are "
           f"(the same scaling or normalisation, tokeniser, image size), that its labels line up with them, and that "
           f"it is drawn from the training data's distribution.")
    fixes = remedies_for("nothing_transfers", first=["check_val_data", "normalise_inputs"])  # (training fits its data)
    return Verdict("not_learning", primary("not_learning", [ctx.Ek(k), ctx.span[1]], ev, msg, fixes),
                   hides=("nothing_transfers",))  # (its message says what that sign would)
