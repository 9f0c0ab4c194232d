"""What a run shows beyond its two losses, read once per diagnosis: a learning-rate schedule in a
logged ``lr``, gradient clipping in a logged ``grad_norm``, a loss that spiked above where it
started, a model that fits its training data, and what the run says about itself
(:attr:`Curves.context`). The remedy rules of :data:`fitwatch.diagnosis.remedies.RULES` read it.

Example:
    >>> import numpy as np
    >>> from fitwatch.diagnosis.curves import Curves
    >>> c = Curves(epochs=np.arange(4), series={"loss": [2.3, 9.0, 2.5, 2.4], "lr": [0.1, 0.1, 0.01, 0.01]})
    >>> sorted(run_evidence(c, np.array([2.3, 9.0, 2.5, 2.4]), None))
    ['scheduler', 'spiked']
"""

from __future__ import annotations

import re

import numpy as np

from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.remedies import BOOSTING_LIBRARIES

LR_KEY = re.compile(r"^(train[_/.-])?(lr|learning[_ ]?rate)([_/.-].*|\d*)$", re.IGNORECASE)
GRAD_KEY = re.compile(r"^(train[_/.-])?((max|total|global)[_ ]?)?(grad|gradient)[_ ]?norm([_/.-].*)?$", re.IGNORECASE)


#: a coefficient of determination's name: validation's (``val_r2``, ``valid/r2``...) or training's
R2_KEY = re.compile(r"(val_|valid_|validation_|eval_|val/|valid/)?(train_|train/)?r2(_score)?")


def logged_r2(curves: Curves, idx: np.ndarray) -> np.ndarray | None:
    """A logged R\u00b2 on the epochs ``idx``: validation's (``val_r2``, ``valid_r2``...), else training's."""
    found = {}
    for key in curves.series:
        m = R2_KEY.fullmatch(key.lower())
        if m:
            found.setdefault("val" if m.group(1) else "train", key)
    key = found.get("val") or found.get("train")
    return curves.series[key][idx] if key else None


def series_like(curves: Curves, pattern: re.Pattern) -> list[np.ndarray]:
    """The finite values of every series whose name matches ``pattern`` (at least 3 of them)."""
    out = []
    for key, v in curves.series.items():
        if pattern.match(key):
            v = v[np.isfinite(v)]
            if v.size >= 3:
                out.append(v)
    return out


def scheduled(curves: Curves) -> bool:
    """A logged learning rate that varies by 1.5x or more (a schedule, a warm-up, ReduceLROnPlateau),
    or that reaches 0 (a linear decay to 0, Hugging Face's default; a warm-up from 0), or a
    ``scheduler`` the run states."""
    if curves.context.get("scheduler"):
        return True
    return any(v.max() > 0 and (v.min() <= 0 or v.max() / v.min() >= 1.5) for v in series_like(curves, LR_KEY))


#: regularisation strong enough to hold a model back (``regularised``): dropout at 0.5 or more, weight decay
#: at 0.05 or more (AdamW's default 0.01 is not: an attack's linear model on moons, underfitting as a linear
#: model does, was told first to weaken it; a new user's Adam at weight_decay=0.1 and Keras at l2(0.05) were held back)
STRONG = {"dropout": 0.5, "weight_decay": 0.05}

#: a logged learning rate that ends at this share of its peak or less has decayed to about 0
LR_DECAYED = 0.02


def decayed_lr(curves: Curves) -> tuple[float, float] | None:
    """``(last, peak)`` of a logged learning rate whose last value is :data:`LR_DECAYED` of its peak or
    less (a cosine or linear decay to 0, a Trainer's 1e-08 at its last step, step drops of 100x): the
    schedule had run out by the end, so more epochs as they are would train at about 0; else None.

    Example:
        >>> import numpy as np
        >>> c = Curves(np.arange(4), {"loss": [1, .5, .4, .35], "lr": [3e-4, 2e-4, 1e-4, 1e-6]})
        >>> decayed_lr(c)
        (1e-06, 0.0003)
    """
    for v in series_like(curves, LR_KEY):
        peak = float(v.max())
        if peak > 0 and (float(v[-1]) <= LR_DECAYED * peak or _linear_to_0(v, peak)):
            return float(v[-1]), peak
    return None


#: a linear decay to 0 logged at each epoch's start ends at 1/n of its peak: counted as run out from this share down
LINEAR_END = 0.04


def _linear_to_0(v: np.ndarray, peak: float) -> bool:
    """A learning rate at :data:`LINEAR_END` of its peak or less whose last 4 values fall by equal steps (to 10 %)
    that one more would take to :data:`LR_DECAYED` of its peak or less: a linear decay to 0 over the run, logged at
    each epoch's start (an attack's Keras schedule over 40 epochs ends at 2.5 % of its peak; it was told to "train
    longer" at that rate). Not above it: a decay to 10 % over 10 epochs logs the same values as one to 0 over 11,
    and a cyclic rate ending on a falling edge looks so too: a rate that rose again after its peak is no decay to 0
    (a third attack's triangular rate at 3 % of its peak on a falling edge)."""
    tail = v[-4:]
    steps = -np.diff(tail)
    top = int(np.argmax(v))  # (never rising again after its peak: a cyclic rate ends on a falling edge, then rises)
    return bool(tail.size == 4 and np.all(steps > 0) and steps.max() <= 1.1 * steps.min()
                and np.all(np.diff(v[top:]) <= 0)
                and float(tail[-1]) <= LINEAR_END * peak and float(tail[-1]) - float(steps.mean()) <= LR_DECAYED * peak)


#: a logged learning rate under LR_GONE of its peak for the last GONE_SHARE of the run or more (10 values or more) was
#: gone long before the end: a schedule that decays fast (0.7x an epoch, StepLR cutting 10x every 3 epochs)...
LR_GONE, GONE_SHARE = 0.01, 0.4
#: ...having fallen under GONE_WHILE of its peak while the curve's best still fell GONE_FALLING of its level an epoch
GONE_WHILE, GONE_FALLING = 0.1, 0.01


def gone_early(curves: Curves, y: np.ndarray | None) -> bool:
    """A logged learning rate under :data:`LR_GONE` of its peak from an epoch on to the end, for :data:`GONE_SHARE` of
    its values or more, which fell under :data:`GONE_WHILE` of its peak while the best of ``y`` (the judged curve, lower
    is better) still fell :data:`GONE_FALLING` of its level an epoch over the 3 epochs before: what the run learned
    stopped with the rate, not with the model (an attack's SGD at 0.05 decayed 0.7x an epoch, under 1 % from epoch 13
    of 30, stalled at 44 % of its start and was told to use a larger model first). A cosine or linear decay to 0 over
    the run is under 1 % for its last few percent only; a rate cut once the curve had stalled (ReduceLROnPlateau's,
    or a decay that outlasted a linear model's few epochs of progress) is no cause of the stall (a second attack).

    Example:
        >>> import numpy as np
        >>> y = np.array([2.0, 1.6, 1.3, 1.1, 1.0, 0.95, 0.93, 0.92, 0.92, 0.92, 0.92, 0.92])
        >>> gone_early(Curves(np.arange(12), {"loss": y.tolist(), "lr": (0.05 * 0.5 ** np.arange(12)).tolist()}), y)
        True
        >>> flat = np.array([2.0, 1.5, 1.2, 1.0] + [0.98] * 11)  # stalled from epoch 4, the rate cut at 8
        >>> gone_early(Curves(np.arange(15), {"loss": flat.tolist(), "lr": [0.05] * 8 + [1e-4] * 7}), flat)
        False
    """
    if y is None:
        return False
    for v in series_like(curves, LR_KEY):
        peak = float(v.max())
        above = np.flatnonzero(v >= LR_GONE * peak) if peak > 0 else np.array([])
        if v.size < 10 or v.size != y.size or not above.size or v.size - 1 - int(above[-1]) < GONE_SHARE * v.size:
            continue
        i = int(np.flatnonzero(v < GONE_WHILE * peak)[0])  # the first epoch under GONE_WHILE of the peak
        best = np.fmin.accumulate(np.where(np.isfinite(y), y, np.inf))
        if i >= 4 and np.isfinite(best[i - 1]) and best[i - 1] > 0 \
                and (best[i - 4] - best[i - 1]) / 3 >= GONE_FALLING * best[i - 1]:
            return True
    return False


#: a logged learning rate whose peak is below this is far too small to move a model in a few epochs
TINY_LR = 1e-6


def lr_peak(curves: Curves) -> float | None:
    """The largest value of the run's logged learning rates (every series named like one), or None when none
    is logged."""
    return max((float(v.max()) for v in series_like(curves, LR_KEY) if v.size), default=None)


def tiny_lr(curves: Curves) -> float | None:
    """The peak of a logged learning rate when it is below :data:`TINY_LR` (a Trainer at learning_rate=1e-7:
    validation identical to 6 digits for 10 epochs, told to check its data and its optimizer calls, never
    to raise the rate: a fifth trial); else None.

    Example:
        >>> tiny_lr(Curves(np.arange(3), {"loss": [0.6932, 0.6932, 0.6933], "lr": [1e-7, 1e-7, 1e-7]}))
        1e-07
    """
    peak = lr_peak(curves)
    return peak if peak is not None and 0 < peak < TINY_LR else None


def clipped(curves: Curves) -> bool:
    """Gradient clipping the run states (``grad_clip``), or a logged gradient norm that sits at its
    maximum (within 1%) at a fifth of the epochs or more: the cap of a clipped norm."""
    if curves.context.get("grad_clip"):
        return True
    for v in series_like(curves, GRAD_KEY):
        top = v.max()
        if top > 0 and np.count_nonzero(v >= 0.99 * top) >= max(3, v.size // 5) and v.min() < 0.9 * top:
            return True
    return False


#: a logged gradient norm this many times the median of its earlier values (3 or more) has exploded
GRAD_EXPLODED = 1000.0


def exploded_grad(curves: Curves) -> int | None:
    """The index of the first epoch whose logged gradient norm (``grad_norm``, ``max_grad_norm``...) is
    infinite, or :data:`GRAD_EXPLODED` times the median of its earlier values (3 or more): the
    gradients exploded there; else None. (A NaN says nothing: the weights were NaN already.)

    Example:
        >>> c = Curves(np.arange(4), {"loss": [2.3, float("nan")] * 2, "max_grad_norm": [float("inf"), 0, 0, 0]})
        >>> exploded_grad(c)
        0
    """
    for key, v in curves.series.items():
        if not GRAD_KEY.match(key):
            continue
        for i, g in enumerate(v):
            before = v[:i][np.isfinite(v[:i])]
            if g == np.inf or np.isfinite(g) and before.size >= 3 and g > GRAD_EXPLODED * max(float(np.median(before)), 1e-12):
                return i
    return None


#: an epoch's logged gradient norm this many times both its neighbours' is a spike...
GRAD_SPIKE = 3.0
#: ...that counts when a loss (training's or validation's) jumps this share above its value the epoch before, at
#: the spike's epoch or the next...
GRAD_SPIKE_JUMP = 0.03
#: ...and this many of them (or one epoch in twenty, whichever is more) are gradients that explode now and then
GRAD_SPIKES = 3


def grad_spikes(curves: Curves) -> list[int]:
    """The indices of the epochs where a logged gradient norm (:data:`GRAD_KEY`) stands :data:`GRAD_SPIKE` times
    above both neighbours while a loss jumps :data:`GRAD_SPIKE_JUMP` with it, when :data:`GRAD_SPIKES` or more
    do (and one epoch in twenty), else []: gradients that explode now and then, each time throwing the weights
    off (a seventh trial's RNN without clipping: epoch means of 0.5-0.9 with peaks of 2-6.5 at 6 epochs, was told
    to raise its learning rate, which made it NaN). A norm that falls from a high start has no such peaks, and a
    norm sampled from one step scatters by itself: a peak the loss does not answer is no spike (an attack).

    Example:
        >>> c = Curves(np.arange(9), {"loss": [1, 1, 1.2, 1, 1, 1.3, 1, 1.2, 1],
        ...                           "grad_norm": [.6, .6, 2.5, .6, .6, 3, .6, 2.8, .6]})
        >>> grad_spikes(c)
        [2, 5, 7]
    """
    grads = [v for k, v in curves.series.items() if GRAD_KEY.match(k) and 5 <= v.size == len(curves)]
    if not grads:  # (most runs log no gradient norm: nothing more to build)
        return []
    losses = [v for k, v in curves.series.items() if k in ("loss", "val_loss") and v.size == len(curves)]
    for v in grads:
        mid, side = v[1:-1], np.maximum(v[:-2], v[2:])
        with np.errstate(invalid="ignore"):
            peaks = np.flatnonzero(np.isfinite(mid) & np.isfinite(side) & (side > 0) & (mid > GRAD_SPIKE * side)) + 1
        hit = [int(i) for i in peaks if any(_jumps(y, i) for y in losses)]
        if len(hit) >= max(GRAD_SPIKES, v.size / 20):
            return hit
    return []


def _jumps(y: np.ndarray, i: int) -> bool:
    """The loss ``y`` is :data:`GRAD_SPIKE_JUMP` above its value at ``i - 1`` at ``i`` or ``i + 1``."""
    before, after = y[i - 1], y[i: i + 2]
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(before) and before > 0 and np.any(after > (1 + GRAD_SPIKE_JUMP) * before))


def spiked(y: np.ndarray | None, share: float) -> bool:
    """The loss jumped above its first value by ``share`` (``Thresholds.end_above_start``) after it."""
    if y is None or y.size < 2 or not np.isfinite(y[0]) or y[0] <= 0:
        return False
    later = y[1:][np.isfinite(y[1:])]
    return bool(later.size and later.max() > (1 + share) * y[0])


#: the median epoch-to-epoch growth (a fraction of the value) under which a climbing curve climbs slowly
SLOW_CLIMB = 0.05


def climbed_steadily(y: np.ndarray | None) -> bool:
    """A curve that rose from its lowest value over 5 epochs or more, up at 70 % or more of the steps of its
    3-epoch moving average since, no single step carrying a quarter of the rise, by a median of under
    :data:`SLOW_CLIMB` of its value an epoch: the slow climb of a
    validation loss as a model grows sure of answers that do not generalise, not a blow-up (a trial: a Trainer
    run on 32 examples whose training rows were never logged, validation 0.69 -> 0.68 -> 2.4 over 140 epochs at
    about 0.01 an epoch, was "diverged, lower the learning rate"; its training loss fell to 0.003).

    Example:
        >>> climbed_steadily(np.array([0.69, 0.68, 0.69, 0.70, 0.72, 0.73, 0.75, 0.76, 0.78]))
        True
        >>> climbed_steadily(0.99 * 1.25 ** np.arange(12.0))   # compounding by a quarter an epoch: a blow-up
        False
        >>> climbed_steadily(np.array([0.69, 0.68, 0.70, 0.71, 0.70, 0.72, 9.5, 9.8]))   # a jump
        False
    """
    if y is None or y.size < 7 or not np.isfinite(y).all():
        return False
    m = int(np.argmin(y))
    rise, after = float(y[-1] - y[m]), y[m:]
    if after.size < 6 or rise <= 0:
        return False
    smooth = np.convolve(after, np.ones(3) / 3, mode="valid")
    # and slowly: a few percent an epoch, not a blow-up compounding by a quarter an epoch (an attack: 0.99 -> 29.5
    # over 20 epochs at x1.25, read as a memorised training set)
    growth = float(np.median(np.diff(after) / np.maximum(np.abs(after[:-1]), 1e-12)))
    return (float(np.mean(np.diff(smooth) > 0)) >= 0.7 and float(np.diff(after).max()) < 0.25 * rise
            and growth < SLOW_CLIMB)


#: a classifier's first training loss this many times its no-skill level ln k blew up in its first epoch
STARTED_HIGH = 1.5


def unregularised(curves: Curves) -> str:
    """``"none"`` when the Keras callback saw every regulariser of the model (context ``regularisation_recorded``)
    and it has no dropout nor weight decay: there is none to weaken; ``"none_watched"`` when ``Run.watch`` saw the
    optimizer (context ``regularisation_watched``) and found neither (it cannot see ``F.dropout`` or a penalty
    added to the loss by hand); else ``""``."""
    c = curves.context
    if c.get("dropout") or c.get("weight_decay"):
        return ""
    return "none" if c.get("regularisation_recorded") else "none_watched" if c.get("regularisation_watched") else ""


def started_high(train: np.ndarray | None, chance: float | None) -> bool:
    """A classifier's first training value is more than :data:`STARTED_HIGH` times its no-skill level ``chance`` (ln k,
    known from the run's class count or an accuracy at chance): an untrained classifier starts near
    ln k, so the first epoch blew up (a learning rate far too high) or the inputs or the
    initialisation are far off (unnormalised features, huge logits)."""
    return bool(chance and train is not None and train.size and np.isfinite(train[0]) and train[0] > STARTED_HIGH * chance)


def sits_above_chance(train: np.ndarray | None, acc: np.ndarray | None, acc_high: float = 1.3,
                      frozen: float | None = None) -> float | None:
    """ln k when a classifier's training accuracy sits at chance, about 1/k (its median rounds to 1/k,
    k 2 or more, and no value reaches ``acc_high``/k), while every value of its training loss (4 or
    more) is above :data:`STARTED_HIGH` times ln k, for the largest k that accuracy allows: the loss
    blew up before the first epoch ended and never came back (SGD at lr 8 on a softmax MLP: 14.3-14.5
    at every epoch, 6 times ln 10, with the accuracy at 0.10; a new user's trial); else None. Twice as far
    above beside an accuracy ``frozen`` at one value (the model guesses one class): that value is the class's
    share, not 1/k (an attack's labels without signal, 30 % in one class: an accuracy of 0.296 beside ln 10, an
    untrained model's loss, was "1.9 times ln 3: the loss blew up in the first epoch").

    Example:
        >>> acc = np.array([0.095, 0.099, 0.099, 0.099])
        >>> round(sits_above_chance(np.array([14.25, 14.5, 14.5, 14.5]), acc), 4)   # ten classes
        2.3026
        >>> sits_above_chance(np.array([9.7, 2.4, 2.38, 2.36]), acc) is None       # back at ln 10
        True
    """
    if train is None or acc is None or train.size != acc.size or train.size < 4:
        return None
    ok = np.isfinite(train) & np.isfinite(acc)
    if ok.sum() < 4:
        return None
    y, a = train[ok], acc[ok] / 100.0 if 1.0 < float(np.max(acc[ok])) <= 100.0 else acc[ok]
    mid = float(np.median(a))
    if not 0.0 < mid < 0.75 or round(1.0 / mid) < 2 or float(np.max(a)) >= acc_high / round(1.0 / mid):
        return None
    widest = max(2, int(acc_high / mid))  # the most classes this accuracy could be chance for
    factor = STARTED_HIGH * (2 if frozen is not None else 1)
    return float(np.log(round(1.0 / mid))) if float(np.min(y)) > factor * np.log(widest) else None


def findings_evidence(findings) -> set[str]:
    """The evidence keys that this diagnosis's own findings give: ``accuracy_rose_since_best`` (over-confidence
    whose accuracy rose since the lowest loss), ``score_fell_since_best`` (over-confidence beside a recall, F1 or AUC
    that fell since it), ``no_transfer`` (the nothing_transfers finding), ``spiky_grads`` (the grad_spikes finding:
    :func:`grad_spikes`), ``learned_after_cut`` (lr_too_high from a cut the loss waited
    for), ``decayed_early`` (lr_decayed_early), ``collapsed`` (not_learning whose accuracy fell back to chance)."""
    out = set()
    for f in findings:
        if f.code == "overconfident" and f.evidence.get("accuracy_rose_since_best"):
            out.add("accuracy_rose_since_best")
        elif f.code == "overconfident" and f.evidence.get("score_fell_since_best"):
            out.add("score_fell_since_best")
        elif f.code == "nothing_transfers":
            out.add("no_transfer")
        elif f.code == "grad_spikes":  # (checks.instability.grad_spiked: grad_spikes found, computed once)
            out.add("spiky_grads")
        elif f.code == "lr_too_high" and "loss_before_cut" in f.evidence:
            out.add("learned_after_cut")
        elif f.code == "lr_decayed_early":
            out.add("decayed_early")
    if findings and findings[0].code == "not_learning" and "back_at_chance_epoch" in findings[0].evidence:
        # checks.learning: an accuracy that rose above chance, then fell back to it (in a run without regularisation)
        out.add("collapsed_unregularised" if findings[0].evidence.get("regularisation") else "collapsed")
    return out


def run_evidence(curves: Curves, train: np.ndarray | None, val: np.ndarray | None, *, share: float = 0.5,
                 fits: bool = False, chance: float | None = None) -> set[str]:
    """The evidence keys that hold for a run: ``spiked``, ``started_high`` (with ``chance``, the
    classifier's ln k), ``scheduler``, ``lr_decayed`` (:func:`decayed_lr`), ``lr_gone_early``
    (:func:`gone_early`), ``clipped``, ``has_dropout``,
    ``has_weight_decay``, ``has_label_smoothing`` (``context`` dropout, weight_decay, label_smoothing), ``regularised`` (either at :data:`STRONG`), ``no_regularisation`` (an
    integration saw every regulariser and recorded neither: ``context regularisation_recorded``), ``grad_exploded`` (:func:`exploded_grad`),
    ``tabular`` (``context data``), ``boosted``
    (``context model='boosting'``: XGBoost, LightGBM, CatBoost; with ``xgboost``, ``lightgbm`` or ``catboost``
    when the context's ``framework`` says which), ``linear`` and ``sklearn_mlp`` (``context model``),
    ``transformers`` (``context framework``), ``text`` (``context data``), and ``fits_training`` when ``fits``."""
    out = set()
    if spiked(train if train is not None else val, share) and not (train is None and climbed_steadily(val)):
        out.add("spiked")  # (validation alone climbing a little at each epoch: no blow-up)
    if started_high(train, chance) and not curves.context.get("loss_penalty"):  # (a penalty's start: not a blow-up)
        out.add("started_high")
    if scheduled(curves):
        out.add("scheduler")
    if decayed_lr(curves):
        out.add("lr_decayed")
    if tiny_lr(curves):
        out.add("lr_tiny")
    if gone_early(curves, val if val is not None else train):
        out.add("lr_gone_early")
    if curves.context.get("loss_penalty"):
        out.add("loss_penalty")
    if clipped(curves):
        out.add("clipped")
    for key in ("dropout", "weight_decay"):  # in the run's config (or context=): not prescribed again
        if curves.context.get(key):
            out.add(f"has_{key}")
            if curves.context[key] >= STRONG[key]:
                out.add("regularised")
    if curves.context.get("label_smoothing"):
        out.add("has_label_smoothing")
    if unregularised(curves) == "none":
        out.add("no_regularisation")  # an integration looked and found none: nothing to weaken (dropout 0.45 is some:
        # an eighth trial's was told nothing of it, the note saying it had dropout and none)
    if ("spiked" in out or any("loss" in k and not np.isfinite(v).all() for k, v in curves.series.items())) \
            and exploded_grad(curves) is not None:
        out.add("grad_exploded")  # (mixed precision's scaler skips a step whose norm is inf: harmless alone)
    if curves.context.get("data") == "tabular":
        out.add("tabular")
    model = curves.context.get("model")
    if model == "boosting":
        out.add("boosted")
        if curves.context.get("framework") in BOOSTING_LIBRARIES:  # its parameters' names only
            out.add(curves.context["framework"])
    elif model == "linear" and curves.context.get("framework") != "sklearn":
        out.add("linear_net")  # (an eighth trial's PyTorch logistic regression was told of fitwatch.sklearn.fit and alpha)
    elif model in ("linear", "sklearn_mlp"):
        out.add(model)
    if curves.context.get("framework") in ("transformers", "lightning"):  # lightning: its words only (VARIANTS)
        out.add(curves.context["framework"])
    if curves.context.get("data") == "text":
        out.add("text")
    if fits:
        out.add("fits_training")
    return out


def crushing(curves: Curves) -> bool:
    """Regularisation strong enough to pin a model at no skill: dropout 0.8 or more, or weight decay 1 or more
    that a logged learning rate does not make tiny (decoupled decay shrinks by rate x decay a step: at 3e-6 and
    1, nothing; an attack)."""
    decay, rate = curves.context.get("weight_decay") or 0, lr_peak(curves)
    return (curves.context.get("dropout") or 0) >= 0.8 or (decay >= 1.0 and (rate is None or rate * decay >= 1e-4))


def train_only(curves: Curves) -> str:
    """What the run's context says it uses that acts in training only: dropout of 0.3 or more, input noise
    (Keras's GaussianNoise, which the callback records); "" when nothing is said."""
    said = ([f"dropout {curves.context['dropout']:g}"] if (curves.context.get("dropout") or 0) >= 0.3 else []) + \
        (["input noise"] if curves.context.get("train_noise") else [])
    return " and ".join(said)
