"""Pre-flight findings: the diagnosis's :class:`~fitwatch.diagnosis.Finding`, with no epochs (they come
before training) and ``source: preflight`` in their evidence."""

from __future__ import annotations

from fitwatch.diagnosis.causes.view import CAUSE_REMEDIES
from fitwatch.diagnosis.findings import Finding
from fitwatch.diagnosis.remedies import CATALOGUE

#: the codes fitwatch.preflight can report, in the order it runs its checks
CODES = ("nonfinite_data", "label_out_of_range", "loss_output_mismatch", "loss_summed", "initial_loss", "cannot_overfit_batch",
         "unnormalised_input", "class_imbalance", "train_val_leak", "eval_mode", "unshuffled_data", "not_updated",
         "frozen_layers")

_MORE = {
    "labels_range": "Number the classes 0 to C-1 (e.g. y - 1 for labels 1..C, or a LabelEncoder), or give the "
                    "model one output per class.",
    "shuffle": "Shuffle the training data every epoch (DataLoader(..., shuffle=True)).",
    "output_init": "Start the model's outputs at the no-skill level: initialise the last layer small (or zero) "
                   "and its bias at the targets' mean (regression) or the class prior's log (classification).",
    "standardise_targets": "Standardise regression targets (subtract the mean, divide by the std) and undo it "
                           "for predictions.",
    "overfit_bug": "Look for a bug between the model, the loss and the labels: outputs detached from the "
                   "graph, frozen parameters (requires_grad=False), labels not matching their inputs, a loss "
                   "given the wrong thing.",
    "finite_data": "Remove or impute the NaN and infinite values (torch.isfinite(x).all() on a batch finds them; "
                   "a division by a zero spread in a normaliser is a common source).",
    "normalise_val": "Normalise the validation (and test) inputs with the statistics of the training set: fit "
                     "the scaler on the training inputs, then transform every split with it.",
    "stratify": "Split with stratification (train_test_split(..., stratify=y)) so that every class is in every "
                "split, or collect more samples of the missing classes.",
    "binary_targets": "Give binary targets as 0 and 1 (e.g. (y == positive_class).float()).",
    "long_labels": "Give CrossEntropyLoss class ids as integers (y.long()), or class probabilities of the "
                   "output's shape.",
    "unfreeze": "If these layers should learn, set requires_grad=True on their parameters (and give them to the "
                "optimizer); a frozen backbone can be unfrozen after a few epochs, at a lower learning rate.",
    "eval_dropout": "Make dropout follow the model's mode: nn.Dropout modules, or F.dropout(x, p, "
                    "training=self.training); same for batch norm (F.batch_norm(..., training=self.training)).",
}


def finding(code: str, severity: str, evidence: dict, message: str, remedies: list[str]) -> Finding:
    """A pre-flight finding; ``remedies`` are keys of the remedy catalogues."""
    text = [_MORE.get(k) or CAUSE_REMEDIES.get(k) or CATALOGUE.get(k) for k in remedies]
    evidence = {k: v for k, v in evidence.items() if v is not None}
    evidence["source"] = "preflight"
    return Finding(code, severity, [], evidence, message, [t for t in text if t])
