"""fitwatch.preflight and lr_find on the set-ups a new user tried (trial of 2026-12-03): correct set-ups
that must stay quiet (label smoothing, token ids, a per-sample loss, counts as regression targets),
mistakes that must be named (a functional loss on a frozen model, NaN inputs, an unscaled validation
set, a validation set missing classes, sorted regression targets, layers in a plain list), a sweep that
blows the network up, and wrong arguments that get one line naming the fix."""

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn import datasets  # noqa: E402

import fitwatch  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")
nn = torch.nn
F = torch.nn.functional
DL, TD = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def _digits(scale=1.0):
    X, y = datasets.load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))
    X, y = torch.tensor(X[idx] / 16 * scale, dtype=torch.float32), torch.tensor(y[idx])
    return X[:1400], y[:1400], X[1400:], y[1400:]


def _loaders(Xtr, ytr, Xva, yva, shuffle=True):
    g = torch.Generator().manual_seed(0)
    return DL(TD(Xtr, ytr), batch_size=32, shuffle=shuffle, generator=g), DL(TD(Xva, yva), batch_size=128)


def _mlp(i=64, o=10):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(i, 64), nn.ReLU(), nn.Linear(64, o))


def _check(model, tr, va, loss):
    return fitwatch.preflight(model, tr, loss, val_loader=va, optimizer=torch.optim.Adam(model.parameters(), 1e-3))


# -- correct set-ups: nothing found -----------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["label_smoothing", "reduction_none", "functional", "partial_smoothing"])
def test_correct_losses_of_other_forms_find_nothing(loss):
    losses = {"label_smoothing": nn.CrossEntropyLoss(label_smoothing=0.1),
              "reduction_none": nn.CrossEntropyLoss(reduction="none"),
              "functional": F.cross_entropy,
              "partial_smoothing": functools.partial(F.cross_entropy, label_smoothing=0.1)}
    report = _check(_mlp(), *_loaders(*_digits()), losses[loss])
    assert report.codes == [], str(report)
    assert report.task["kind"] == "classification" and "all passed" in str(report)
    if "smoothing" in loss:  # the floor a perfect model reaches: the smoothed target's entropy
        assert abs(report.task["floor"] - 0.5003) < 1e-3


def test_token_ids_into_an_embedding_are_not_unnormalised_inputs():
    g = torch.Generator().manual_seed(0)
    tok = torch.randint(0, 1000, (2000, 12), generator=g)
    y = (tok[:, 0] % 2).long()

    class Emb(nn.Module):
        def __init__(self):
            super().__init__()
            self.e, self.fc = nn.Embedding(1000, 16), nn.Linear(16, 2)

        def forward(self, x):
            return self.fc(self.e(x).mean(1))

    torch.manual_seed(0)
    report = _check(Emb(), *_loaders(tok[:1600], y[:1600], tok[1600:], y[1600:]), nn.CrossEntropyLoss())
    assert "unnormalised_input" not in report.codes and report.checks["unnormalised_input"] == "ok", str(report)


def test_counts_as_regression_targets_are_not_class_ids():
    X, _ = datasets.make_regression(1000, 10, random_state=0)
    y = torch.tensor(np.clip(np.round(10 + X[:, 0] * 2), 4, 16), dtype=torch.float32)[:, None]  # 4..16
    X = torch.tensor(X, dtype=torch.float32)
    report = _check(_mlp(10, 1), *_loaders(X[:800], y[:800], X[800:], y[800:]), nn.MSELoss())
    assert "loss_output_mismatch" not in report.codes, str(report)


# -- mistakes: named ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", [F.cross_entropy, lambda out, y: F.cross_entropy(out, y)])
def test_a_frozen_model_cannot_learn_whatever_the_loss(loss):
    model = _mlp()
    for p in model.parameters():
        p.requires_grad_(False)
    report = _check(model, *_loaders(*_digits()), loss)
    assert report.codes[0] == "cannot_overfit_batch" and "requires_grad" in report.findings[0].message, str(report)
    if loss is not F.cross_entropy:  # a loss fitwatch cannot read: the checks it needs say they were skipped
        assert report.checks["initial_loss"].startswith("skipped") and "all passed" not in str(report)


def test_layers_in_a_plain_list_are_named_as_such():
    class ListModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    report = fitwatch.preflight(ListModel(), *_loaders(*_digits())[:1], nn.CrossEntropyLoss())
    msg = report.findings[0].message
    assert report.codes[0] == "cannot_overfit_batch" and "nn.ModuleList" in msg and "requires_grad" not in msg


def test_nan_inputs_are_named():
    Xtr, ytr, Xva, yva = _digits()
    Xtr = Xtr.clone()
    Xtr[::50, 3] = float("nan")
    report = _check(_mlp(), *_loaders(Xtr, ytr, Xva, yva), nn.CrossEntropyLoss())
    assert report.codes[0] == "nonfinite_data", str(report)
    assert report.findings[0].evidence["samples"] == 28 and report.findings[0].severity == "critical"
    assert "square of nan" not in str(report) and "inf%" not in str(report)  # no NaN numbers in other findings


def test_a_validation_set_scaled_otherwise_is_named():
    Xtr, ytr, Xva, yva = _digits()
    report = _check(_mlp(), *_loaders(Xtr, ytr, Xva * 1000, yva), nn.CrossEntropyLoss())
    assert report.codes == ["unnormalised_input"], str(report)
    assert report.findings[0].evidence["split"] == "validation"


def test_a_validation_set_missing_classes_is_named():
    Xtr, ytr, Xva, yva = _digits()
    keep = yva < 5
    report = _check(_mlp(), *_loaders(Xtr, ytr, Xva[keep], yva[keep]), nn.CrossEntropyLoss())
    assert report.codes == ["class_imbalance"], str(report)
    assert report.findings[0].evidence["missing_classes"] == [5, 6, 7, 8, 9]


def test_sorted_regression_targets_in_an_unshuffled_loader_are_named():
    X, y = datasets.make_regression(1000, 10, noise=1, random_state=0)
    y = (y - y.mean()) / y.std()
    o = np.argsort(y[:800])
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None]
    tr, va = _loaders(X[:800][o], y[:800][o], X[800:], y[800:], shuffle=False)
    report = _check(_mlp(10, 1), tr, va, nn.MSELoss())
    assert "unshuffled_data" in report.codes, str(report)
    shuffled = _check(_mlp(10, 1), *_loaders(X[:800][o], y[:800][o], X[800:], y[800:]), nn.MSELoss())
    assert "unshuffled_data" not in shuffled.codes, str(shuffled)


def test_a_sweep_that_blows_the_network_up_stops_there():
    """Inputs x1000, SGD: one step's loss 65 times its best kills the ReLUs, and the loss then sits at
    ln 10: the sweep stops at the blow-up instead of suggesting the dead plateau's 3.3. Which of the
    two stops comes first (this one step 10 times the best, or the smoothed loss 4 times it, a step
    later) depends on the CPU's rounding; either stops before the plateau (an Intel CI machine: below
    lr 0.1; an AMD EPYC: at step 79, lr 0.24, of a range that goes on to 10)."""
    Xtr, ytr, _, _ = _digits(scale=1000)
    model = _mlp()
    sweep = fitwatch.lr_find(model, DL(TD(Xtr, ytr), batch_size=32, shuffle=True,
                                       generator=torch.Generator().manual_seed(0)),
                             nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), 0.1))
    assert ("blew up" in sweep.stopped or "diverged" in sweep.stopped) and sweep.lrs.max() < 0.5, str(sweep)
    assert sweep.suggestion is None or sweep.suggestion < 0.01, str(sweep)


# -- wrong arguments: one line naming the fix -----------------------------------------------------------------

def test_wrong_arguments_say_what_to_pass():
    Xtr, ytr, Xva, yva = _digits()
    tr, va = _loaders(Xtr, ytr, Xva, yva)
    m, ce = _mlp(), nn.CrossEntropyLoss()
    empty = DL(TD(torch.zeros(0, 64), torch.zeros(0, dtype=torch.long)))
    cases = [
        (lambda: fitwatch.preflight(m, TD(Xtr, ytr), ce), "wrap it, e.g. DataLoader(dataset"),
        (lambda: fitwatch.preflight(m, Xtr, ce), "must be a DataLoader"),
        (lambda: fitwatch.preflight(m, ce, tr), "must be a DataLoader"),
        (lambda: fitwatch.preflight(m, tr, nn.CrossEntropyLoss), "pass CrossEntropyLoss()"),
        (lambda: fitwatch.preflight(m, tr, "cross_entropy"), "loss_fn must be callable"),
        (lambda: fitwatch.preflight(lambda x: x, tr, ce), "must be a torch.nn.Module"),
        (lambda: fitwatch.preflight(m, tr, ce, optimizer=torch.optim.Adam), "pass Adam(model.parameters()"),
        (lambda: fitwatch.preflight(m, tr, ce, val_loader=empty), "validation loader gives no batches"),
        (lambda: fitwatch.lr_find(m, tr, ce, None), "needs the optimizer you will train with"),
        (lambda: fitwatch.lr_find(m, tr, ce, torch.optim.LBFGS(m.parameters())), "LBFGS"),
    ]
    for call, words in cases:
        with pytest.raises((TypeError, ValueError)) as e:
            call()
        assert words in str(e.value) and "\n" not in str(e.value), (words, str(e.value))
    dict_loader = [{"image": Xtr[:8], "label": ytr[:8]}]
    with pytest.raises(ValueError, match="a dict with keys 'image', 'label'"):
        fitwatch.preflight(m, dict_loader, ce)
