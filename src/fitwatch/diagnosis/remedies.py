"""What to do about each finding: concrete actions from practice, in the order they fit best.

Each finding's remedies are picked from this catalogue by :func:`remedies_for`, which reorders
them by the evidence (for example, an overfitting run that also has a large generalisation gap
gets regularisation before a smaller model; a run that never learned with a smooth curve gets a
larger learning rate first, one with saturated sigmoid-like behaviour gets initialisation first).
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOGUE: dict[str, str] = {
    "tree_regularise": "Regularise the trees: shallower ones (max_depth 3-6, or fewer num_leaves; depth in "
                       "CatBoost), more samples per leaf (min_child_weight, min_data_in_leaf), row and column "
                       "subsampling below 1 (subsample, colsample_bytree), L2/L1 on leaf weights (lambda, alpha; "
                       "l2_leaf_reg), and a lower learning rate (eta) with more rounds.",
    "alpha": "Raise the estimator's L2 penalty, alpha (try 10x: scikit-learn's MLP and SGD models).",
    "alpha_down": "Lower the estimator's L2 penalty, alpha, if it is high (try 10x lower).",
    "nonlinear": "Use a non-linear model or richer features (polynomial or interaction terms, a kernel "
                 "approximation, a tree ensemble or an MLP): a linear model cannot fit this data better.",
    "hf_regularise": "Raise weight_decay in TrainingArguments (0.01..0.1), or the dropout of the model's config "
                     "(hidden_dropout_prob, attention_probs_dropout_prob).",
    "early_stopping": "Stop early and keep the weights of the best epoch (fitwatch.EarlyStopping, or "
                      "Keras EarlyStopping(restore_best_weights=True)).",
    "restore_best": "Restore the best epoch's weights at the end: Run.epochs(..., stop=..., restore=model), or "
                    "restore_best_weights=True in Keras.",
    "weight_decay": "Add L2 regularisation (weight_decay=1e-4..1e-2 in the optimizer; in Keras a "
                    "kernel_regularizer) or L1 if you want sparse weights.",
    "dropout": "Add dropout (p=0.2..0.5) after the larger hidden layers.",
    "augmentation": "Augment the training data with changes that keep the label (images: flips, crops; any data: "
                    "noise, mixup...) so the model cannot memorise it.",
    "more_data": "Get more (or cleaner) training data; check for label noise.",
    "noise_floor": "If the labels are noisy or the target is partly unpredictable from the inputs, this may be the "
                   "best the data allows: a larger model whose training loss falls below this level while "
                   "validation does not would show it.",
    "smaller_model": "Use a smaller model (fewer layers or units) for this much data.",
    "larger_model": "Use a larger model (more units or layers): this one cannot fit the training data.",
    "more_epochs": "Train for more epochs.",
    "more_patience": "Give early stopping more patience (patience= in Keras and Lightning, n_iter_no_change in "
                     "scikit-learn) or a smaller min_delta (tol): it stopped while the curve was still improving.",
    "less_patience": "Early stopping is in place but never fired: lower its patience (patience= in Keras and "
                     "Lightning, n_iter_no_change in scikit-learn, early_stopping_rounds in XGBoost) to end "
                     "training nearer its best epoch and save the epochs after it.",
    "less_regularisation": "Weaken regularisation (lower weight decay, less dropout) if you use any.",
    "lr_up": "Raise the learning rate (try 3x-10x, or run a learning-rate range test).",
    "lr_down": "Lower the learning rate (try 3x-10x smaller).",
    "lr_schedule": "Use a learning-rate schedule: warm-up, then decay (cosine, step, or ReduceLROnPlateau).",
    "lr_decay_later": "Decay the learning rate later: step it when progress stalls (ReduceLROnPlateau, with the "
                      "patience to wait out the noise, a small threshold and a min_lr), or at a later epoch, or "
                      "spread a cosine or linear decay over the whole run.",
    "lr_plateau": "Reduce the learning rate when progress stalls (ReduceLROnPlateau) to squeeze out more.",
    "check_val_data": "Check the data: training labels that match their inputs (shuffled ones are memorised), and "
                      "validation against training: the same preprocessing (normalisation, resizing, channel order, "
                      "tokeniser), labels that match their inputs, the same distribution.",
    "warmup_shorter": "Shorten the warm-up (warmup_steps, or a warm-up scheduler's length) so that it ends well "
                      "inside the run.",
    "batch_size_up": "Use a larger batch size (or accumulate gradients) to reduce gradient noise.",
    "gradient_clipping": "Clip gradients (clip_grad_norm_ to 1.0, or clipnorm=1.0 in Keras).",
    "normalise_inputs": "Normalise the inputs (standardise features; scale images to [0, 1] or by channel "
                        "mean/std) and, for regression, the targets.",
    "batch_norm": "Add batch or layer normalisation between layers.",
    "init": "Use an initialisation that fits the activation (He/Kaiming for ReLU, Xavier/Glorot for "
            "tanh/sigmoid); check biases are not pushing units to saturation.",
    "relu": "Replace saturating activations (sigmoid/tanh) in deep stacks with ReLU-family ones "
            "(vanishing gradients).",
    "check_data": "Check the data pipeline: inputs and labels aligned, labels not shuffled, no constant "
                  "inputs, no NaN/inf in the data.",
    "loss_mean": "Log the loss averaged over each batch's samples (PyTorch's reduction='mean', the default; or "
                 "divide a summed loss by the batch size before logging it): a sum grows with the batch size.",
    "loss_fit": "Check the loss fits the task and the model's output (CrossEntropyLoss expects raw logits, "
                "not softmax; BCEWithLogits for binary; MSE/MAE for regression).",
    "optimizer_state": "Check the optimizer really updates the model (optimizer.zero_grad/step called, "
                       "parameters passed to the optimizer, requires_grad not off).",
    "numerics": "Look for the first NaN: log/division of zero in a custom loss, overflow in float16 (use a "
                "loss scaler), exploding activations.",
    "add_validation": "Hold out a validation set and log its loss every epoch (Keras: validation_data= or "
                      "validation_split= in fit; PyTorch: a validation loader evaluated under model.eval()): without "
                      "it, overfitting cannot be seen.",
    "bigger_val": "Use a larger validation set, or evaluate on more batches, so its loss is less noisy.",
    "leakage": "Check for leakage: validation samples (or near-duplicates) in the training set, or "
               "features that encode the label.",
    "val_below_train_ok": "Usually harmless: dropout and other regularisation act only in training, and "
                          "an epoch-averaged training loss lags half an epoch behind the validation loss.",
    "label_smoothing": "Use label smoothing or calibrate the outputs (temperature scaling): the model is "
                       "becoming over-confident on the examples it gets wrong.",
    "monitor_accuracy": "Monitor validation accuracy (or the metric you care about) for early stopping "
                        "instead of the loss.",
    "class_balance": "If classes are imbalanced, rebalance (class weights or resampling): a model stuck "
                     "at the class prior predicts only the majority class.",
    "more_epochs_short": "Train for more epochs: there are too few to judge the fit.",
    "lr_restart": "Train for more epochs with the learning-rate schedule stretched over them (its decay "
                  "ending at the new last epoch), or resume from these weights with the rate raised again (a "
                  "warm restart): the rate had decayed to about 0, so more epochs at it would add little.",
}

#: the boosting libraries whose own parameters a booster's remedies name (evidence keys, over ``boosted``)
BOOSTING_LIBRARIES = frozenset({"xgboost", "lightgbm", "catboost"})

#: a remedy said in the words of the framework the run was recorded with (evidence key -> catalogue key
#: -> sentence); the catalogue's sentence otherwise
VARIANTS: dict[str, dict[str, str]] = {
    # the run's config says it regularises: no "if you use any" (a sixth trial's run at dropout 0.5)
    **{e: {"less_regularisation": "Weaken the regularisation the run uses (less dropout, lower weight decay)."}
       for e in ("has_dropout", "has_weight_decay", "regularised")},
    # the run already smooths its labels: calibration is what is left of that advice (an attack: the whole of it was
    # dropped, temperature scaling with it)
    "has_label_smoothing": {"label_smoothing": "Calibrate the outputs (temperature scaling on the validation set): "
                                               "the model is becoming over-confident on the examples it gets wrong, "
                                               "label smoothing notwithstanding."},
    # tabular data: no images to scale (a ninth trial's run configured data="tabular" was told to scale images)
    "tabular": {"normalise_inputs": "Normalise the inputs (standardise each feature: StandardScaler, or its mean and "
                                    "std from the training split) and, for regression, the targets."},
    "lightning": {
        "early_stopping": "Stop early and keep the best epoch's weights: callbacks=[fitwatch.lightning.EarlyStopping()] "
                          "(it restores them), or Lightning's EarlyStopping beside a ModelCheckpoint(monitor=..., "
                          "save_top_k=1) whose best_model_path you load.",
        "restore_best": "Restore the best epoch's weights: fitwatch.lightning.EarlyStopping() does, or load "
                        "ModelCheckpoint's best_model_path.",
        "weight_decay": "Add L2 regularisation: weight_decay=1e-4..1e-2 in configure_optimizers (AdamW), or L1 if "
                        "you want sparse weights.",
        "gradient_clipping": "Clip gradients: pl.Trainer(gradient_clip_val=1.0).",
    },
    "transformers": {
        "early_stopping": "Stop early and keep the best epoch's weights: fitwatch.transformers.Callback("
                          "stop=fitwatch.EarlyStopping()) restores them, or the Trainer's EarlyStoppingCallback "
                          "with load_best_model_at_end=True.",
        "restore_best": "Restore the best epoch's weights: the callback's restore=True, or load_best_model_at_end=True "
                        "in TrainingArguments.",
        "more_patience": "Give early stopping more patience (early_stopping_patience in EarlyStoppingCallback, "
                         "patience= in fitwatch.EarlyStopping) or a smaller early_stopping_threshold (min_delta): it "
                         "stopped while the curve was still improving.",
        "less_patience": "Early stopping is in place but never fired: lower its patience (early_stopping_patience in "
                         "EarlyStoppingCallback, patience= in fitwatch.EarlyStopping) to end training nearer its best "
                         "epoch and save the epochs after it.",
        "gradient_clipping": "Clip gradients: max_grad_norm=1.0 in TrainingArguments (its default: check it is "
                             "not 0 or None).",
        "lr_schedule": "Use warm-up and decay: warmup_ratio=0.06..0.1 with lr_scheduler_type='linear' or 'cosine' "
                       "in TrainingArguments.",
        "lr_restart": "Raise num_train_epochs in TrainingArguments (the Trainer stretches its schedule over "
                      "them), or resume from the checkpoint with learning_rate raised again: the rate had decayed "
                      "to about 0, so more steps at it would add little.",
    },
    "boosted": {
        "early_stopping": "Stop at the best round: early_stopping_rounds=... (XGBoost; CatBoost's fit, with "
                          "use_best_model), lightgbm.early_stopping(...), or the fitwatch callback's "
                          "stop=fitwatch.EarlyStopping().",
        "restore_best": "Predict with the best round: iteration_range=(0, best_iteration + 1) in XGBoost's "
                        "Booster.predict, num_iteration=best_iteration in LightGBM's.",
        "more_epochs": "Train more rounds (num_boost_round, n_estimators; iterations in CatBoost).",
        "add_validation": "Pass a validation set to evaluate every round (evals=[(dtrain, 'train'), (dval, 'val')] in "
                          "xgboost.train, eval_set= in the scikit-learn APIs, valid_sets= in lightgbm.train).",
        "lr_down": "Lower the learning rate (eta, learning_rate; try 3x-10x smaller) and train more rounds.",
        "lr_up": "Raise the learning rate (eta, learning_rate; try 3x) and train fewer rounds, or train more rounds at "
                 "this one.",
        "numerics": "Look for the first NaN or infinity: in the features or the labels, or in a custom objective's "
                    "gradients and hessians.",
        "val_below_train_ok": "Usually harmless: a booster has no dropout and its training metric is computed on "
                              "the whole training set after each round, so the two sets themselves differ (a "
                              "small or easier validation split); a persistent, large gap is worth a look at "
                              "the split.",
    },
    # one library's words (the run or its results say which: evidence xgboost, lightgbm, catboost), over "boosted"
    "xgboost": {
        "tree_regularise": "Regularise the trees: shallower ones (max_depth 3-6), more weight per leaf "
                           "(min_child_weight), row and column subsampling below 1 (subsample, colsample_bytree), "
                           "L2/L1 on leaf weights (reg_lambda, reg_alpha), gamma to prune splits, and a lower "
                           "learning_rate (eta) with more rounds.",
        "early_stopping": "Stop at the best round: early_stopping_rounds=... (xgboost.train, or the XGBClassifier/"
                          "XGBRegressor constructor), or the fitwatch callback's stop=fitwatch.EarlyStopping().",
        "restore_best": "Predict with the best round: iteration_range=(0, best_iteration + 1) in Booster.predict.",
        "lr_down": "Lower eta (learning_rate; try 3x-10x smaller, 0.01-0.3 is usual) and train more rounds.",
        "more_epochs": "Train more rounds (num_boost_round in xgboost.train, n_estimators in XGBClassifier/"
                       "XGBRegressor).",
    },
    "lightgbm": {
        "tree_regularise": "Regularise the trees: fewer leaves (num_leaves 15-63) or a max_depth, more samples per "
                           "leaf (min_data_in_leaf, min_sum_hessian_in_leaf), row and feature subsampling below 1 "
                           "(bagging_fraction with bagging_freq, feature_fraction), L2/L1 on leaf weights (lambda_l2, "
                           "lambda_l1), and a lower learning_rate with more rounds.",
        "early_stopping": "Stop at the best round: callbacks=[lightgbm.early_stopping(stopping_rounds=...)], or the "
                          "fitwatch callback's stop=fitwatch.EarlyStopping().",
        "restore_best": "Predict with the best round: num_iteration=best_iteration in predict.",
        "more_epochs": "Train more rounds (num_boost_round in lightgbm.train, n_estimators in LGBMClassifier/"
                       "LGBMRegressor).",
    },
    "catboost": {
        "tree_regularise": "Regularise the trees: shallower ones (depth 4-6), a stronger L2 penalty on leaf values "
                           "(l2_leaf_reg), row subsampling (subsample with bootstrap_type='Bernoulli' or 'MVS'), "
                           "random_strength, and a lower learning_rate with more iterations.",
        "early_stopping": "Stop at the best iteration: early_stopping_rounds=... in fit, with an eval_set and "
                          "use_best_model=True (its default when there is an eval_set).",
        "restore_best": "Keep the best iteration: use_best_model=True in fit (the default with an eval_set), or "
                        "model.shrink(best_iteration + 1).",
        "more_epochs": "Train more iterations (iterations=..., 1000 by default; with early_stopping_rounds it stops "
                       "at the best).",
    },
    "sklearn_mlp": {
        "early_stopping": "Stop early: early_stopping=True in the estimator when you call its fit (it keeps the "
                          "weights of the best validation score); under fitwatch.sklearn.fit (partial_fit, which "
                          "ignores it), stop=fitwatch.EarlyStopping() returns the best epoch's estimator.",
        "more_epochs": "Train for more epochs (a higher max_iter).",
        "add_validation": "Hold out validation data: early_stopping=True (with validation_fraction) records "
                          "validation_scores_, or fitwatch.sklearn.fit(..., validation_data=(X_val, y_val)) records "
                          "its loss every epoch.",
    },
    "linear": {
        "early_stopping": "Stop early: fitwatch.sklearn.fit(..., stop=fitwatch.EarlyStopping()) returns the best "
                          "epoch's estimator.",
        "numerics": "Look for NaN or infinity in the data, and scale the features (StandardScaler): SGD's updates "
                    "overflow on large ones.",
    },
}

#: the remedies of each finding code, best first
DEFAULT_ORDER: dict[str, list[str]] = {
    "overfitting": ["early_stopping", "weight_decay", "dropout", "augmentation", "more_data", "smaller_model"],
    "underfitting": ["larger_model", "more_epochs", "less_regularisation", "lr_up", "normalise_inputs",
                     "loss_fit", "noise_floor"],
    "still_improving": ["more_epochs", "lr_schedule", "early_stopping"],
    "not_learning": ["lr_up", "check_data", "optimizer_state", "loss_fit", "init", "relu", "normalise_inputs",
                     "class_balance"],
    "unstable": ["lr_down", "lr_schedule", "batch_size_up", "gradient_clipping", "normalise_inputs",
                 "check_data"],
    "diverged": ["lr_down", "gradient_clipping", "normalise_inputs", "numerics", "init", "lr_schedule"],
    "good_fit": ["early_stopping"],
    "val_below_train": ["val_below_train_ok", "leakage"],
    "overconfident": ["label_smoothing", "monitor_accuracy", "early_stopping", "weight_decay"],
    "head_overfits": [],
    "noisy_validation": ["bigger_val"],  # (a larger batch lowers the gradient's noise, not the validation's: a ninth trial)
    "generalization_gap": ["weight_decay", "dropout", "augmentation", "more_data"],
    "lr_too_high": ["lr_down", "lr_schedule", "gradient_clipping"],
    "lr_raised": ["lr_down", "gradient_clipping"],
    "lr_decayed_early": ["lr_decay_later"],
    "lr_warming": ["warmup_shorter"],
    "grad_spikes": ["gradient_clipping", "lr_down"],
    "first_epoch_blowup": ["gradient_clipping", "lr_schedule"],
    "nothing_transfers": ["check_val_data"],
    "loss_not_per_sample": ["loss_mean", "normalise_inputs"],
    "softmax_twice": ["loss_fit"],
    "lr_too_low": ["lr_up"],  # never a decay schedule: it lowers a rate already too low (a trial at Adam 1e-6)
    "nan_detected": ["numerics", "lr_down", "gradient_clipping", "normalise_inputs"],
    "plateau": ["lr_plateau", "larger_model", "lr_schedule"],
    "too_few_epochs": ["more_epochs_short"],
    "missing_validation": ["add_validation"],
}


def in_all_words(key: str) -> set[str]:
    """Remedy ``key`` in the catalogue's words and in every framework's (:data:`VARIANTS`: scikit-learn's
    "early_stopping=True in the estimator" for ``early_stopping``), to find it whoever said it.

    Example:
        >>> CATALOGUE["more_epochs"] in in_all_words("more_epochs"), len(in_all_words("more_epochs")) > 1
        (True, True)
    """
    return {CATALOGUE[key], *(v[key] for v in VARIANTS.values() if key in v)}


def remedies_for(code: str, first: list[str] | tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> list[str]:
    """The remedies of a finding as sentences: ``first`` (keys) move to the front, ``drop`` go."""
    keys = [k for k in first if k in CATALOGUE] + [k for k in DEFAULT_ORDER.get(code, []) if k not in first]
    return [CATALOGUE[k] for k in dict.fromkeys(keys) if k not in drop]


@dataclass(frozen=True)
class Rule:
    """A remedy rule: when the run shows ``evidence``, the remedies ``forbid`` are never given (they
    would contradict it or recommend what the run already does) and ``first`` go to the front.

    Attributes:
        evidence: the key of the evidence (see :func:`fitwatch.diagnosis.evidence.run_evidence`).
        says: what the evidence is, in words (the table in docs/diagnosis.md).
        forbid: catalogue keys never given with this evidence.
        first: catalogue keys moved to the front, when the finding has them or they fit it.
    """

    evidence: str
    says: str
    forbid: tuple[str, ...]
    first: tuple[str, ...] = ()


#: the evidence -> remedies table (docs/diagnosis.md prints it; tests/test_remedies.py tests each row)
RULES: tuple[Rule, ...] = (
    Rule("spiked", "the loss jumped above where it started (by end_above_start), even if it came back "
                   "down or sits at chance after it", ("lr_up", "larger_model", "less_regularisation",
                                                       "more_epochs"), ("lr_down",)),
    Rule("started_high", "a classifier's first training loss is more than 1.5 times its no-skill level ln k "
                         "(k from the run's classes or an accuracy at chance): the first epoch blew up, or "
                         "the inputs or the initialisation are far off", ("lr_up", "larger_model",
                                                                          "less_regularisation", "more_epochs"),
         ("lr_down", "normalise_inputs")),
    Rule("learned_after_cut", "the training loss learned nothing until a logged learning rate was cut, then fell "
                              "(lr_too_high of checks.schedule.learned_after_cut): the rate was too high, not too low",
         ("lr_up",), ("lr_down",)),
    Rule("scheduler", "a learning-rate schedule: a logged lr that varies 1.5x or more, or "
                      "context scheduler", ("lr_schedule", "lr_plateau")),
    Rule("lr_decayed", "a logged learning rate that ends at 2% of its peak or less: the schedule had run out, so "
                       "more epochs as they are would train at about 0", ("more_epochs",), ("lr_restart",)),
    Rule("lr_gone_early", "a logged learning rate under 1% of its peak for the last 40% of the run or more: the "
                          "schedule took it to about 0 long before the end, and what the run learned stopped with it, "
                          "whatever the model's size", (), ("lr_decay_later",)),
    Rule("lr_tiny", "a logged learning rate never above 1e-6 (its peak): far too small to move a model in a few "
                    "epochs (a fifth trial's Trainer run at 1e-7 was told to check its data and its optimizer calls)",
         (), ("lr_up",)),
    Rule("loss_penalty", "the reported loss holds a regularisation penalty that counts (context loss_penalty: a "
                         "Keras weight penalty of 0.1 or more at the start, a fitted MLP's alpha at 5 % of its first "
                         "loss): more of it is not the remedy (a fifth trial's MLP at alpha=30, 3e5 times the default, "
                         "was told to raise alpha 10x)", ("alpha", "weight_decay")),
    Rule("decayed_early", "a logged learning rate was cut while the curve still fell, and it crawled after "
                          "(lr_decayed_early): the schedule may have stopped it as surely as the model's size (a sixth "
                          "trial's StepLR run, frozen at 82 % of ln 10 by two early cuts, was told to use a larger model)",
         (), ("lr_restart",)),
    Rule("clipped", "gradient clipping: a logged grad_norm capped at its maximum, or context grad_clip",
         ("gradient_clipping",)),
    Rule("has_dropout", "dropout the run's config gives (context dropout above 0): adding it is done",
         ("dropout",)),
    Rule("has_weight_decay", "weight decay the run's config gives (context weight_decay above 0): adding L2 "
                             "regularisation is done", ("weight_decay",)),
    Rule("regularised", "strong dropout or weight decay in the run's config (dropout 0.5 or more, weight decay 0.05 "
                        "or more): an underfitting run weakens it first (a new user's Lightning run at "
                        "weight_decay=0.1 was told to grow the model first)",
         (), ("less_regularisation",)),
    Rule("no_regularisation", "the Keras callback, or Run.watch once it saw the optimizer, saw every regulariser of the "
                              "model and none is dropout or weight decay (context regularisation_recorded): there is "
                              "none to weaken",
         ("less_regularisation",)),
    Rule("grad_exploded", "a logged gradient norm became infinite, or 1000 times its earlier median: the "
                          "gradients exploded (with a loss that became NaN or jumped: mixed precision's "
                          "scaler skips a step whose norm is inf, harmless alone)", (), ("gradient_clipping", "lr_down")),
    Rule("spiky_grads", "a logged gradient norm peaks at 3 times both neighbouring epochs' or more while a loss jumps "
                        "3 % with it, at 3 epochs or more (and one in twenty): gradients that explode now and then (an "
                        "RNN without clipping); a higher rate or a "
                        "larger model makes it worse", ("lr_up", "larger_model", "noise_floor"),
         ("gradient_clipping", "lr_down")),
    Rule("no_transfer", "training accuracy rose while validation's never did (the nothing_transfers finding): "
                              "no epoch's weights are worth keeping, and no regulariser makes what was learned "
                              "transfer; the validation data is checked first",
         ("early_stopping", "restore_best", "monitor_accuracy", "label_smoothing"), ("check_val_data",)),
    Rule("tabular", "the run says its data is tabular (context data='tabular')", ("augmentation",)),
    Rule("boosted", "gradient-boosted trees (context model='boosting': fitwatch's XGBoost and LightGBM "
                    "integrations and their results dicts): a neural network's remedies do not apply",
         ("dropout", "augmentation", "weight_decay", "batch_norm", "init", "relu", "gradient_clipping",
          "batch_size_up", "normalise_inputs", "smaller_model", "larger_model", "lr_schedule", "lr_plateau",
          "optimizer_state", "loss_fit"), ("tree_regularise",)),
    Rule("linear", "a linear model trained by partial_fit (context model='linear': scikit-learn's SGD "
                   "estimators, Perceptron... through fitwatch.sklearn.fit): it has no layers, units, batches, "
                   "schedule or gradients to clip, no optimizer calls or loss to get wrong (it owns both); "
                   "underfitting calls for a non-linear model", ("dropout", "augmentation", "weight_decay", "batch_norm", "init", "relu",
                                            "gradient_clipping", "batch_size_up", "smaller_model", "larger_model",
                                            "lr_plateau", "lr_schedule", "less_regularisation", "optimizer_state",
                                            "loss_fit"),
         ("nonlinear", "alpha", "alpha_down")),
    Rule("linear_net", "a linear model the run's own loop trains (context model='linear' without framework "
                       "'sklearn': a PyTorch or Keras single layer, a logistic regression): no hidden layers or units to "
                       "add dropout or normalisation to, resize or change the activation of; underfitting calls for a "
                       "non-linear model; its optimizer, schedule and batches are the loop's own, said in the usual words",
         ("dropout", "batch_norm", "relu", "smaller_model", "larger_model"), ("nonlinear",)),
    Rule("sklearn_mlp", "scikit-learn's MLPClassifier/MLPRegressor (context model='sklearn_mlp'): no dropout, "
                        "normalisation layers, initialisation, clipping, schedule, augmentation or label smoothing to choose; "
                        "its L2 penalty is alpha; no optimizer calls or loss to get wrong (it owns both)",
         ("dropout", "weight_decay", "batch_norm", "init", "gradient_clipping", "lr_plateau", "lr_schedule",
          "augmentation", "less_regularisation", "label_smoothing", "optimizer_state", "loss_fit"),
         ("alpha", "alpha_down")),
    # before the frameworks' own words: what this run's evidence says comes first (a Trainer run whose accuracy
    # rose since its lowest loss: "monitor the accuracy" leads "raise weight_decay")
    Rule("accuracy_rose_since_best", "validation accuracy ends 0.10 or more above its value at the "
                                     "lowest validation loss, while that loss rose: over-confidence on the errors, not "
                                     "a worse model; the lowest-loss epoch is not the one to keep",
         ("early_stopping", "restore_best"), ("monitor_accuracy",)),
    Rule("score_fell_since_best", "beside a validation loss rising while the accuracy holds or rises, a validation "
                                  "score the run logs (recall, F1, AUC...) ends 0.05 or more below its value at the "
                                  "lowest loss: the accuracy is no guide to the epoch to keep",
         ("monitor_accuracy",)),
    Rule("transformers", "a Hugging Face Trainer run (its callback or trainer_state.json): regularised through "
                         "TrainingArguments and the model's config, not Keras layers",
         ("weight_decay", "dropout", "batch_norm", "init", "relu"), ("hf_regularise",)),
    Rule("text", "the run's data is text (context data='text'; a Trainer model whose input is input_ids)",
         ("augmentation", "normalise_inputs")),
    Rule("no_classes", "no class in sight: no accuracy curve, no class count and no chance level (a regression, "
                       "as far as the run shows)", ("class_balance",)),
    Rule("fits_training", "the model fits its training data: training loss fell by 95% or more, or "
                          "training accuracy ends at 0.99 or above", ("larger_model",)),
    Rule("collapsed", "an accuracy rose 0.10 or more above chance, then fell back to chance for good, the loss "
                      "back at the no-skill level ln k: the model learned, then lost it all (a weight decay far "
                      "too strong pulls the weights to 0; so does a learning rate that kills the units)",
         ("lr_up", "larger_model", "more_epochs"), ("less_regularisation", "lr_down")),
    Rule("collapsed_unregularised", "the same collapse in a run without dropout or weight decay as far as its integration "
                                    "saw (the Keras callback: none; Run.watch: no dropout module, no weight decay in the "
                                    "optimizer): the learning rate leads (a tenth trial's transformer at Adam 3e-2 was "
                                    "told first to weaken a regularisation it did not have)",
         ("lr_up", "larger_model", "more_epochs"), ("lr_down", "less_regularisation")),
    Rule("best_is_last", "the best epoch is the last one (nothing to stop early for or restore)",
         ("early_stopping", "restore_best")),
)

#: the lead remedies ``first`` may add to a finding that lacks them (lr_down to an underfitting run
#: whose loss spiked: the usual cause of both)
_ADDED_FOR = {"lr_down": {"underfitting", "not_learning"}, "lr_up": {"not_learning"},
              "less_regularisation": {"not_learning"}, "lr_restart": {"still_improving"},
              "tree_regularise": {"overfitting"}, "alpha": {"overfitting"}, "hf_regularise": {"overfitting"},
              "monitor_accuracy": {"overfitting", "good_fit"}, "nonlinear": {"underfitting"},
              "alpha_down": {"underfitting"}, "gradient_clipping": {"underfitting", "not_learning"},
              "check_val_data": {"overfitting"}, "lr_decay_later": {"underfitting"}}
_KEY_OF = {sentence: key for key, sentence in CATALOGUE.items()}
_KEY_OF.update({sentence: key for words in VARIANTS.values() for key, sentence in words.items()})


def apply_rules(findings, evidence: set[str] | frozenset[str]) -> None:
    """Trim and reorder each finding's remedies by the run's evidence (:data:`RULES`), in place.

    Example:
        >>> from fitwatch.diagnosis.findings import Finding
        >>> f = Finding("underfitting", "warning", [0, 9], {}, "", remedies_for("underfitting"))
        >>> apply_rules([f], {"spiked"})
        >>> [_KEY_OF[r] for r in f.remedies][:2]
        ['lr_down', 'normalise_inputs']
    """
    rules = [r for r in RULES if r.evidence in evidence]
    # a library's own words over the words of its kind (xgboost over boosted)
    variants = {k: v for e in sorted(evidence, key=lambda e: e in BOOSTING_LIBRARIES) for k, v in VARIANTS.get(e, {}).items()}
    if not rules and not variants:
        return
    forbid = {k for r in rules for k in r.forbid}
    first = [k for r in rules for k in r.first if k not in forbid]
    for f in findings:
        if not f.remedies:
            continue
        keys = [_KEY_OF.get(s, s) for s in f.remedies]
        lead = [k for k in first if k in keys or f.code in _ADDED_FOR.get(k, ())]
        keys = list(dict.fromkeys(lead + keys))
        f.remedies = [variants.get(k) or CATALOGUE.get(k, k) for k in keys if k not in forbid]
