"""fitwatch.preflight and fitwatch.lr_find on real small models and scikit-learn data: each check fires
on a set-up built to trigger it and on none of the healthy ones; nothing of the caller's changes."""

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from sklearn import datasets  # noqa: E402

import fitwatch  # noqa: E402
from fitwatch.preflight.findings import CODES  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")
nn = torch.nn
F = torch.nn.functional


def _digits(scale=True, sort=False, val_from_train=0):
    X, y = datasets.load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    X, y = X[idx].astype(np.float32), y[idx]
    Xtr, ytr, Xva, yva = X[:1400], y[:1400], X[1400:], y[1400:]
    if val_from_train:
        Xva, yva = np.concatenate([Xtr[:val_from_train], Xva[val_from_train:]]), np.concatenate(
            [ytr[:val_from_train], yva[val_from_train:]])
    if scale:
        m, s = Xtr.mean(0), Xtr.std(0) + 1e-6
        Xtr, Xva = (Xtr - m) / s, (Xva - m) / s
    if sort:
        o = np.argsort(ytr, kind="stable")
        Xtr, ytr = Xtr[o], ytr[o]
    return Xtr, ytr, Xva, yva


def _loaders(Xtr, ytr, Xva, yva, shuffle=True, target=torch.long):
    g = torch.Generator().manual_seed(0)
    t = lambda a, dt=torch.float32: torch.tensor(a, dtype=dt)  # noqa: E731
    tr = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xtr), t(ytr, target)), batch_size=32,
                                     shuffle=shuffle, generator=g)
    va = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xva), t(yva, target)), batch_size=128)
    return tr, va


def _mlp(out=10, last=None):
    torch.manual_seed(0)
    layers = [nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, out)]
    return nn.Sequential(*layers, *([last] if last is not None else []))


def _codes(model, tr, va, loss=None):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    report = fitwatch.preflight(model, tr, loss or nn.CrossEntropyLoss(), val_loader=va, optimizer=opt)
    return report.codes, report


def test_a_loss_summed_over_the_batch_is_said_and_its_start_read_per_sample():
    """An eleventh trial: CrossEntropyLoss(reduction='sum') started at 64 times ln 10 (a batch of 64 summed) and was
    told the untrained model is confidently wrong. The sum is said (information), the start read per term."""
    Xtr, ytr, Xva, yva = _digits()
    tr, va = _loaders(Xtr, ytr, Xva, yva)
    codes, report = _codes(_mlp(), tr, va, loss=nn.CrossEntropyLoss(reduction="sum"))
    assert codes == ["loss_summed"], report
    f = report.findings[0]
    assert f.severity == "info" and f.evidence["terms"] == 32 and f.evidence["per_term"] == pytest.approx(2.3, abs=0.2)
    regression = _loaders(Xtr, Xtr[:, 10:11] * 3 + 1, Xva, Xva[:, 10:11] * 3 + 1, target=torch.float32)
    codes, _ = _codes(_mlp(out=1), *regression, loss=nn.MSELoss(reduction="sum"))
    assert codes == ["loss_summed"], codes
    codes, _ = _codes(_mlp(out=1), *regression, loss=nn.MSELoss())
    assert codes == [], codes


# -- healthy set-ups: nothing found -----------------------------------------------------------------

def _cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(16 * 64, 10))


@pytest.mark.parametrize("kind", ["mlp", "cnn_bn_dropout", "binary", "regression"])
def test_a_healthy_setup_passes_every_check(kind):
    Xtr, ytr, Xva, yva = _digits()
    loss = None
    if kind == "mlp":
        model, (tr, va) = _mlp(), _loaders(Xtr, ytr, Xva, yva)
    elif kind == "cnn_bn_dropout":
        model, (tr, va) = _cnn(), _loaders(Xtr, ytr, Xva, yva)
    elif kind == "binary":
        model, loss = _mlp(out=1), nn.BCEWithLogitsLoss()
        tr, va = _loaders(Xtr, (ytr >= 5)[:, None], Xva, (yva >= 5)[:, None], target=torch.float32)
    else:
        model, loss = _mlp(out=1), nn.MSELoss()
        z = lambda a: ((a - 4.5) / 2.9)[:, None]  # noqa: E731  (the digit as a standardised number)
        tr, va = _loaders(Xtr, z(ytr), Xva, z(yva), target=torch.float32)
    codes, report = _codes(model, tr, va, loss)
    assert codes == [], str(report)
    assert set(report.checks) == set(CODES)
    assert report.task["kind"] == {"binary": "binary", "regression": "regression"}.get(kind, "classification")


# -- each check fires on its trigger -----------------------------------------------------------------

def test_labels_beyond_the_outputs_are_found():
    Xtr, ytr, Xva, yva = _digits()
    codes, report = _codes(_mlp(out=9), *_loaders(Xtr, ytr, Xva, yva))  # 10 digits, 9 outputs
    assert codes[0] == "label_out_of_range", str(report)
    assert report.findings[0].severity == "critical"
    assert report.checks["initial_loss"].startswith("skipped")


@pytest.mark.parametrize("case", ["softmax_ce", "sigmoid_bcewithlogits", "bce_on_raw", "mse_on_ids"])
def test_a_loss_that_does_not_fit_the_output_is_found(case):
    Xtr, ytr, Xva, yva = _digits()
    if case == "softmax_ce":
        model, loss, ld = _mlp(last=nn.Softmax(dim=1)), nn.CrossEntropyLoss(), _loaders(Xtr, ytr, Xva, yva)
    elif case == "sigmoid_bcewithlogits":
        model, loss = _mlp(out=1, last=nn.Sigmoid()), nn.BCEWithLogitsLoss()
        ld = _loaders(Xtr, (ytr >= 5)[:, None], Xva, (yva >= 5)[:, None], target=torch.float32)
    elif case == "bce_on_raw":
        model, loss = _mlp(out=1), nn.BCELoss()
        ld = _loaders(Xtr, (ytr >= 5)[:, None], Xva, (yva >= 5)[:, None], target=torch.float32)
    else:
        model, loss = _mlp(out=1), nn.MSELoss()
        ld = _loaders(Xtr, ytr[:, None], Xva, yva[:, None], target=torch.float32)
    codes, report = _codes(model, *ld, loss)
    assert "loss_output_mismatch" in codes, str(report)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_an_overconfident_start_is_found(batchnorm):
    """Measured as the first step computes it: in eval mode an untrained batch norm divides by its
    initial running variance of 1 and hides the large output layer (the loss looks close to ln 10)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64), nn.BatchNorm1d(64),
                          nn.ReLU(), nn.Linear(64, 10)) if batchnorm else _mlp()
    with torch.no_grad():
        model[-1].weight.mul_(20 if batchnorm else 40)  # batch norm: 3.5 in eval mode (1.5 ln 10), 13.6 in training
    codes, report = _codes(model, *_loaders(*_digits()))
    assert codes == ["initial_loss"], str(report)
    ev = report.findings[0].evidence
    assert ev["initial_loss"] > 2 * ev["no_skill_loss"] and abs(ev["no_skill_loss"] - np.log(10)) < 0.01


def test_a_model_that_cannot_fit_one_batch_is_found():
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every hidden unit dead: the output cannot depend on the input
    codes, report = _codes(model, *_loaders(*_digits()))
    assert "cannot_overfit_batch" in codes, str(report)
    assert report.findings[codes.index("cannot_overfit_batch")].evidence["end_loss"] > 1.0


def test_unnormalised_inputs_are_found():
    codes, report = _codes(_mlp(), *_loaders(*_digits(scale=False)))
    assert "unnormalised_input" in codes, str(report)


def test_imbalanced_classes_are_found():
    X, y = datasets.make_classification(2000, 64, n_informative=8, weights=[0.97], random_state=0)
    model, loss = _mlp(out=2), nn.CrossEntropyLoss()
    codes, report = _codes(model, *_loaders(X[:1500], y[:1500], X[1500:], y[1500:]), loss)
    assert codes == ["class_imbalance"], str(report)
    assert report.findings[0].evidence["ratio"] > 10


def test_validation_samples_copied_from_training_are_found():
    codes, report = _codes(_mlp(), *_loaders(*_digits(val_from_train=100)))
    assert codes == ["train_val_leak"], str(report)
    assert report.findings[0].evidence["duplicates"] == 100


class _AlwaysDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(64, 64), nn.Linear(64, 10)

    def forward(self, x):
        return self.b(F.dropout(F.relu(self.a(x)), 0.5))  # training=True by default: on in eval() too


def test_dropout_left_on_in_evaluation_is_found():
    torch.manual_seed(0)
    codes, report = _codes(_AlwaysDropout(), *_loaders(*_digits()))
    assert codes == ["eval_mode"], str(report)


def test_layers_the_optimizer_does_not_hold_and_frozen_layers_are_found():
    """A tenth trial: an optimizer given the last layer only passed every check; two frozen layers got only a generic
    'cannot overfit a batch'."""
    tr, va = _loaders(*_digits())
    model = _mlp()
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va,
                                optimizer=torch.optim.Adam(model[2].parameters(), lr=1e-3))
    assert report.codes == ["not_updated"], str(report)
    f = report.findings[0]
    assert f.evidence["not_in_optimizer"] == ["0"] and f.evidence["parameters_left"] == 64 * 64 + 64
    assert "will never move" in f.message and f.remedies[0].startswith("Give the optimizer")
    zero = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.0}, {"params": model[2].parameters()}], lr=0.1)
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=zero)
    assert report.codes == ["not_updated"] and report.findings[0].evidence["at_lr_0"] == ["0"], str(report)
    model[0].requires_grad_(False)  # frozen, and left out of the optimizer as it should be: information only
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va,
                                optimizer=torch.optim.Adam([p for p in model.parameters() if p.requires_grad]))
    assert "frozen_layers" in report.codes and "not_updated" not in report.codes, str(report)
    frozen = next(f for f in report.findings if f.code == "frozen_layers")
    assert frozen.severity == "info" and frozen.evidence["layers"] == ["0"]
    assert fitwatch.preflight(_mlp(), tr, nn.CrossEntropyLoss()).checks["not_updated"] == "skipped: no optimizer"
    # a warm-up from 0 (LambdaLR at step / warmup, Hugging Face's linear schedule) sets lr to 0 until its first step:
    # no layer is left at 0 (an attack: every such optimizer was told its layers would never move)
    model = _mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / 100)
    assert opt.param_groups[0]["lr"] == 0
    assert fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=opt).codes == []


def test_an_unshuffled_loader_of_sorted_labels_is_found():
    codes, report = _codes(_mlp(), *_loaders(*_digits(sort=True), shuffle=False))
    assert codes == ["unshuffled_data"], str(report)
    # the same data shuffled: nothing
    assert _codes(_mlp(), *_loaders(*_digits(sort=True), shuffle=True))[0] == []


# -- nothing of the caller's changes --------------------------------------------------------------------

def _state(model, opt, loader):
    return ({k: v.clone() for k, v in model.state_dict().items()}, repr(opt.state_dict()),
            torch.get_rng_state().clone(), np.random.get_state()[1].copy(), random.getstate(),
            loader.generator.get_state().clone(), model.training)


def _same(a, b):
    assert a[0].keys() == b[0].keys() and all(torch.equal(a[0][k], b[0][k]) for k in a[0])
    assert a[1] == b[1]
    assert torch.equal(a[2], b[2]) and np.array_equal(a[3], b[3]) and a[4] == b[4] and torch.equal(a[5], b[5])
    assert a[6] == b[6]


@pytest.mark.parametrize("what", ["preflight", "lr_find"])
def test_the_model_optimizer_loader_and_random_state_come_back_bit_for_bit(what):
    model = _cnn()
    tr, va = _loaders(*_digits())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = next(iter(tr))
    nn.CrossEntropyLoss()(model(x), y).backward()
    opt.step()  # an optimizer with state, a model trained one step
    before = _state(model, opt, tr)
    if what == "preflight":
        fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=opt)
    else:
        fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), opt, steps=40)
    _same(before, _state(model, opt, tr))
    assert all(p.grad is not None for p in model.parameters())  # its gradients untouched too


# -- lr_find -----------------------------------------------------------------------------------------------

def test_lr_find_suggests_a_rate_that_trains_and_keeps_the_whole_curve(tmp_path):
    model = _mlp()
    tr, va = _loaders(*_digits())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sweep = fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), opt)
    assert sweep.reason == "" and 1e-4 < sweep.suggestion < 1.0, str(sweep)
    assert sweep.lrs.size == sweep.losses.size >= 50 and np.all(np.diff(sweep.lrs) > 0)
    assert set(sweep.suggestions) >= {"lightning", "fastai_valley", sweep.rule}
    assert "suggested learning rate" in str(sweep)
    fig = sweep.plot()
    assert fig.axes[0].get_xscale() == "log"
    assert fitwatch.LRSweep.from_dict(sweep.to_dict()).suggestion == sweep.suggestion


def test_a_flat_sweep_says_so_instead_of_suggesting():
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # dead units: no rate makes the loss fall
        model[2].bias.zero_()
    tr, _ = _loaders(*_digits())
    sweep = fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1),
                             end_lr=1e-2)
    assert sweep.suggestion is None and "did not fall" in sweep.reason, str(sweep)


def test_bad_arguments_get_a_clear_error():
    model = _mlp()
    tr, _ = _loaders(*_digits())
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), start_lr=100)
    empty = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(0, 64), torch.zeros(0)))
    with pytest.raises(ValueError, match="no batches"):
        fitwatch.preflight(model, empty, nn.CrossEntropyLoss())


# -- both feed the run ---------------------------------------------------------------------------------------

def test_the_run_keeps_the_report_and_the_sweep(tmp_path):
    Xtr, ytr, Xva, yva = _digits(scale=False)
    tr, va = _loaders(Xtr, ytr, Xva, yva)
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=opt)
    run = fitwatch.Run("pre", dir=tmp_path, preflight=report, diagnose=False)
    fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), opt, steps=30, run=run)
    for epoch in run.epochs(2):
        run.log_epoch(loss=[1.0, 0.8][epoch], val_loss=[1.1, 0.9][epoch])
    run.finish()
    info = fitwatch.load("pre", dir=tmp_path).info
    assert [f["code"] for f in info["preflight"]["findings"]] == report.codes
    assert fitwatch.Preflight.from_dict(info["preflight"]).codes == report.codes
    assert 10 <= len(info["lr_find"]["lrs"]) == len(info["lr_find"]["losses"]) <= 30
    from fitwatch.show.report import write_report  # the report's "Before training": the lines and the curve

    page = open(write_report(["pre"], str(tmp_path / "r.html"), dir=tmp_path)).read()
    assert "Before training" in page and "pre-flight: classification" in page and '"lrfind-' in page


def test_a_run_with_only_its_preflight_is_shown_and_reported_not_judged(tmp_path):
    """preflight and lr_find with run=, no epoch yet: show and report give them, diagnose says why it
    cannot judge (one line), and a store file with other runs is still diagnosed."""
    import subprocess
    import sys

    Xtr, ytr, Xva, yva = _digits()
    tr, va = _loaders(Xtr, ytr, Xva, yva)
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with fitwatch.Run("only-pf", dir=tmp_path, diagnose=False) as run:
        fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=opt, run=run)
        fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), opt, steps=30, run=run)
    with fitwatch.Run("trained", dir=tmp_path, diagnose=False) as run:
        for e in run.epochs(6):
            run.log_epoch(loss=1.0 / (e + 1), val_loss=1.1 / (e + 1))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "fitwatch", *args, "--dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=120)

    shown = cli("show", "only-pf")
    assert shown.returncode == 0 and "13 checks, all passed" in shown.stdout and "lr_find" in shown.stdout
    out = tmp_path / "r.html"
    made = cli("report", "only-pf", "-o", str(out))
    assert made.returncode == 0, made.stderr
    page = out.read_text(encoding="utf-8")
    assert "not judged yet" in page and "Before training" in page and '"lrfind-' in page
    assert "No epoch recorded yet" in page
    judged = cli("diagnose", "only-pf")
    assert judged.returncode == 2 and "Traceback" not in judged.stderr
    assert judged.stderr.strip() == ("fitwatch: run:only-pf: no epoch recorded yet, nothing to judge; its "
                                     "pre-flight checks: fitwatch show only-pf")
    whole = subprocess.run([sys.executable, "-m", "fitwatch", "diagnose", str(tmp_path / "fitwatch.db")],
                           capture_output=True, text=True, timeout=120)
    assert whole.returncode == 0 and "trained" in whole.stdout and "only-pf" not in whole.stdout, whole.stderr


def test_a_preflight_cause_explains_a_run_that_went_wrong_and_shows_everywhere(tmp_path):
    """class_imbalance found before training explains the plateau that follows; a healthy run keeps
    the finding listed (before training) but names no cause."""
    X, y = datasets.make_classification(2000, 64, n_informative=8, weights=[0.97], random_state=0)
    tr, va = _loaders(X[:1500], y[:1500], X[1500:], y[1500:])
    model = _mlp(out=2)
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va)
    flat = [0.14, 0.135, 0.134, 0.134, 0.134, 0.134, 0.134, 0.134, 0.134, 0.134, 0.134, 0.134]
    for name, (loss, val) in {"stuck": (flat, [v + 0.002 for v in flat]),
                              "fine": ([1.0 / (e + 1) for e in range(12)], [1.05 / (e + 1) + 0.01 for e in range(12)])
                              }.items():
        with fitwatch.Run(name, dir=tmp_path, preflight=report, diagnose=False) as run:
            for epoch in run.epochs(12):
                run.log_epoch(loss=loss[epoch], val_loss=val[epoch])
    stuck = fitwatch.diagnose("stuck", dir=tmp_path)
    assert stuck.verdict not in ("good_fit", "overfitting", "still_improving"), stuck
    assert [f.code for f in stuck.causes] == ["class_imbalance"]
    assert stuck.findings[1].code == "class_imbalance" and "Before training" in stuck.findings[0].message
    fine = fitwatch.diagnose("fine", dir=tmp_path)
    assert fine.causes == [] and fine.findings[-1].code == "class_imbalance"
    assert "before training" in str(fine) or "before training" in fine._repr_html_()


# -- Keras (torch backend) ---------------------------------------------------------------------------------

def _keras_model(activation="softmax", logits=False):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dropout(0.2),
                          keras.layers.Dense(10, activation=activation)])
    m.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits))
    return m


def test_keras_preflight_is_quiet_on_a_healthy_model_and_finds_a_loss_that_does_not_fit():
    Xtr, ytr, Xva, yva = _digits()
    healthy = _keras_model()
    weights = [w.copy() for w in healthy.get_weights()]
    report = fitwatch.keras.preflight(healthy, Xtr, ytr, validation_data=(Xva, yva))
    assert report.codes == [], str(report)
    assert all(np.array_equal(a, b) for a, b in zip(weights, healthy.get_weights()))
    wrong = _keras_model("softmax", logits=True)  # probabilities into a loss that expects logits
    assert "loss_output_mismatch" in fitwatch.keras.preflight(wrong, Xtr, ytr).codes
    raw = _keras_model(None, logits=False)  # raw scores into a loss that expects probabilities
    assert "loss_output_mismatch" in fitwatch.keras.preflight(raw, Xtr, ytr).codes


def test_keras_preflight_takes_1d_targets_as_fit_does():
    """A ninth trial: targets as 1-D arrays, the way fit takes them, beside a Dense(1) output were a critical
    loss_output_mismatch ("torch broadcasts them"; BCELoss "cannot be computed") on models Keras trains well."""
    keras = pytest.importorskip("keras")
    from sklearn.datasets import load_breast_cancer, load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X, y = (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()
    keras.utils.set_random_seed(0)
    reg = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    reg.compile(optimizer="adam", loss="mse")
    report = fitwatch.keras.preflight(reg, X[:350], y[:350], validation_data=(X[350:], y[350:]))
    assert "loss_output_mismatch" not in report.codes, str(report)
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = (Xc - Xc.mean(0)) / Xc.std(0)
    clf = keras.Sequential([keras.Input((30,)), keras.layers.Dense(16, activation="relu"),
                            keras.layers.Dense(1, activation="sigmoid")])
    clf.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    report = fitwatch.keras.preflight(clf, Xc[:400], yc[:400], validation_data=(Xc[400:], yc[400:]))
    assert "loss_output_mismatch" not in report.codes and report.checks["initial_loss"] == "ok", str(report)
    # class ids for a sparse cross-entropy are not reshaped: Dense(1) beside them is a label out of range (an attack)
    one = keras.Sequential([keras.Input((30,)), keras.layers.Dense(1, activation="softmax")])
    one.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    codes = fitwatch.keras.preflight(one, Xc[:400], yc[:400]).codes
    assert "label_out_of_range" in codes and "loss_output_mismatch" not in codes, codes
    # Dense(1, softmax) beside a binary cross-entropy: the output is 1 for every input (the classic slip)
    slip = keras.Sequential([keras.Input((30,)), keras.layers.Dense(1, activation="softmax")])
    slip.compile(optimizer="adam", loss="binary_crossentropy")
    report = fitwatch.keras.preflight(slip, Xc[:400], yc[:400])
    f = next(f for f in report.findings if f.code == "loss_output_mismatch")
    assert "softmax over a single output unit" in f.message, str(report)


def test_keras_lr_find_sweeps_a_clone_and_suggests(tmp_path):
    Xtr, ytr, _, _ = _digits()
    model = _keras_model()
    weights = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations)
    sweep = fitwatch.keras.lr_find(model, Xtr, ytr)
    assert sweep.optimizer == "Adam" and sweep.suggestion is not None and 1e-5 < sweep.suggestion < 1, str(sweep)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert int(model.optimizer.iterations) == iterations and float(model.optimizer.learning_rate) == pytest.approx(1e-3)


class _TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(32, 16), nn.Linear(32, 16), nn.Linear(32, 10)

    def forward(self, xa, xb):
        return self.out(torch.cat([F.relu(self.a(xa)), F.relu(self.b(xb))], 1))


def test_a_model_of_two_inputs_and_a_regression_target_of_the_wrong_shape():
    Xtr, ytr, Xva, yva = _digits()
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    pairs = [((t(x[:32]), t(x[32:])), int(c)) for x, c in zip(Xtr, ytr)]  # batches ((xa, xb), y): collated as lists
    torch.manual_seed(0)
    two = _TwoInputs()
    report = fitwatch.preflight(two, torch.utils.data.DataLoader(pairs, batch_size=32, shuffle=True),
                                nn.CrossEntropyLoss())
    assert report.codes == [], str(report)
    three = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xtr[:, :32]), t(Xtr[:, 32:]),
                                                                       torch.tensor(ytr)), batch_size=32)
    with pytest.raises(TypeError, match=r"\(\(xa, xb\), y\)"):
        fitwatch.preflight(two, three, nn.CrossEntropyLoss())
    flat = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xtr), t((ytr - 4.5) / 2.9)), batch_size=32,
                                       shuffle=True)  # targets (N,) against outputs (N, 1): broadcast
    report = fitwatch.preflight(_mlp(out=1), flat, nn.MSELoss())
    assert "loss_output_mismatch" in report.codes and "y.reshape(-1, 1)" in str(report), str(report)


def test_the_task_preflight_inferred_is_evidence_for_the_curves(tmp_path):
    """A run that stays at chance (val loss at ln 10) is not_learning when its pre-flight report says
    it is a 10-class problem; its pre-flight findings then explain it."""
    Xtr, ytr, Xva, yva = _digits(scale=False)
    report = fitwatch.preflight(_mlp(), *_loaders(Xtr, ytr, Xva, yva)[:1], nn.CrossEntropyLoss())
    assert "unnormalised_input" in report.codes
    loss = [40.1, 2.36, 2.35, 2.34, 2.34, 2.35, 2.34, 2.34]
    val = [2.33, 2.32, 2.35, 2.31, 2.36, 2.33, 2.32, 2.34]
    with fitwatch.Run("chance", dir=tmp_path, preflight=report, diagnose=False) as run:
        for epoch in run.epochs(8):
            run.log_epoch(loss=loss[epoch], val_loss=val[epoch])
    d = fitwatch.diagnose("chance", dir=tmp_path)
    assert d.verdict == "not_learning", d
    assert "unnormalised_input" in [f.code for f in d.causes]


def test_a_rate_far_above_what_lr_find_suggested_explains_a_run_that_went_wrong(tmp_path):
    model, (tr, va) = _mlp(), _loaders(*_digits())
    opt = torch.optim.SGD(model.parameters(), lr=5.0)  # the slip: lr 5
    report = fitwatch.preflight(model, tr, nn.CrossEntropyLoss(), val_loader=va, optimizer=opt)
    loss, val = [40.1, 2.36, 2.35, 2.34, 2.34, 2.35, 2.34, 2.34], [2.33, 2.32, 2.35, 2.31, 2.36, 2.33, 2.32, 2.34]
    with fitwatch.Run("fast", dir=tmp_path, preflight=report, diagnose=False) as run:
        sweep = fitwatch.lr_find(model, tr, nn.CrossEntropyLoss(), opt, run=run)
        for epoch in run.epochs(8):
            run.log_epoch(loss=loss[epoch], val_loss=val[epoch])
    d = fitwatch.diagnose("fast", dir=tmp_path)
    rate = [f for f in d.causes if f.code == "lr_too_high"]
    assert rate and rate[0].evidence["lr"] == 5.0 and rate[0].evidence["lr_find_suggestion"] == sweep.suggestion, d


def test_targets_far_from_the_outputs_scale_lead_a_regression_still_on_its_way_down(tmp_path):
    """A ninth trial: a regression whose targets are x1000 + 5000 started at 15 times its no-skill level and was still
    falling 20 % in ten epochs; with its pre-flight report it was not_learning, told to check its data pipeline, and
    "standardise the targets" came last. It is still_improving, led by standardising the targets, and no rate too small."""
    Xtr, ytr, Xva, yva = _digits()
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    tr = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(t(Xtr), t(ytr * 1000.0 + 5000.0).reshape(-1, 1)),
                                     batch_size=32, shuffle=True)
    model = _mlp(out=1)
    report = fitwatch.preflight(model, tr, nn.MSELoss())
    assert "initial_loss" in report.codes, str(report)
    no_skill = report.findings[report.codes.index("initial_loss")].evidence["no_skill_loss"]
    val = [no_skill * (14 * 0.85 ** e + 1.2) for e in range(20)]  # still falling at the end, above the no-skill level
    with fitwatch.Run("far", dir=tmp_path, preflight=report, diagnose=False) as run:
        for epoch in run.epochs(20):
            run.log_epoch(loss=val[epoch] * 1.05, val_loss=val[epoch])
    d = fitwatch.diagnose("far", dir=tmp_path)
    assert d.verdict == "still_improving", d
    assert d.findings[0].remedies[0].startswith("Standardise regression targets"), d.findings[0].remedies
    assert "lr_too_low" not in [f.code for f in d.findings]
    # a run that got below the no-skill level long ago has reached the targets' scale: they explain nothing (an attack)
    past = [no_skill * (15 * 0.6 ** e + 0.4) for e in range(20)]
    with fitwatch.Run("past", dir=tmp_path, preflight=report, diagnose=False) as run:
        for epoch in run.epochs(20):
            run.log_epoch(loss=past[epoch] * 0.97, val_loss=past[epoch])
    d = fitwatch.diagnose("past", dir=tmp_path)
    assert not any(r.startswith("Standardise regression targets") for r in d.findings[0].remedies), d
    assert not any(f.evidence.get("explains") for f in d.findings), d
