"""fitwatch plot: PNG/SVG/PDF files from runs and log files, and the Figures of Run.plot, RunData.plot and
Diagnosis.plot with their annotations (best epoch, overfitting onset, early stop, NaN), smoothing, log scale
and overlays. Runs are recorded with fitwatch.Run into a real store; one is a real torch loop."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex

import fitwatch
from conftest import ARTIFACTS, ROOT, run_python, train_digits_mlp
from fitwatch.cli import main
from fitwatch.show.plot import LOG_SPAN, plot_curves, save_plot
from fitwatch.show.smoothing import ema
from fitwatch.show.style import ANNOTATION, SPLIT_COLORS, run_color

CSV_LOG = ROOT / "tests" / "data" / "logs" / "keras_csvlogger.csv"

# an overfitting run: validation falls to epoch 7 then climbs while training keeps falling
TRAIN = [2.0, 1.4, 1.0, 0.8, 0.62, 0.5, 0.41, 0.34, 0.28, 0.23, 0.19, 0.16, 0.13, 0.11, 0.09, 0.08]
VAL = [2.1, 1.5, 1.15, 0.95, 0.83, 0.76, 0.72, 0.71, 0.73, 0.76, 0.8, 0.85, 0.9, 0.96, 1.02, 1.09]
ACC = [0.3, 0.5, 0.62, 0.7, 0.76, 0.8, 0.84, 0.87, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985]
VAL_ACC = [0.28, 0.47, 0.58, 0.65, 0.69, 0.71, 0.72, 0.725, 0.72, 0.715, 0.71, 0.705, 0.7, 0.7, 0.695, 0.69]


def record(name, *, acc=True, train=TRAIN, val=VAL, **kw):
    """A run in the store (FITWATCH_DIR) from per-epoch values."""
    with fitwatch.Run(name, diagnose="quiet", **kw) as run:
        for epoch in run.epochs(len(train)):
            values = {"loss": train[epoch], "val_loss": val[epoch]}
            if acc:
                values.update(accuracy=ACC[epoch], val_accuracy=VAL_ACC[epoch])
            run.log_epoch(**values)
    return run


def curve(fig, key, i=0, raw=False):
    gid = f"curve-{i}-{key}" + ("-raw" if raw else "")
    [line] = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == gid]
    return line


def lines_with(fig, gid_prefix):
    return [ln for ax in fig.axes for ln in ax.lines if (ln.get_gid() or "").startswith(gid_prefix)]


def labelled(fig, label):
    return [a for ax in fig.axes for a in ax.lines + ax.patches if a.get_label() == label]


# -- a real training loop, through the command line ---------------------------------------------------
@pytest.fixture(scope="module")
def torch_run(tmp_path_factory, one_torch_thread):
    """A small MLP on digits that overfits, stopped by fitwatch.EarlyStopping with restore=model."""
    store = tmp_path_factory.mktemp("torch-store")
    run, stopper = train_digits_mlp("digits-overfit", store, config={"lr": 3e-3})
    return run, stopper, store


def test_cli_plots_a_real_torch_run_to_png(torch_run, tmp_path, capsys):
    run, stopper, store = torch_run
    out = tmp_path / "out.png"
    assert main(["plot", "digits-overfit", "-o", str(out), "--dir", str(store)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_real_run_figure_marks_best_onset_and_early_stop_and_is_saved_as_the_artifact(torch_run):
    run, stopper, store = torch_run
    assert run.status == "stopped" and stopper.stopped_epoch is not None
    d = run.diagnosis_
    assert d.verdict == "overfitting" and d.onset_epoch is not None
    fig = run.plot(smooth=0.6)
    assert [ax.get_title(loc="left") for ax in fig.axes][1] == "accuracy"
    assert fig.texts[0].get_text() == "digits-overfit: overfitting"
    [stop] = [ln for ln in lines_with(fig, "early-stop") if ln.axes is fig.axes[0]]
    assert list(stop.get_xdata()) == [stopper.stopped_epoch] * 2
    assert stop.get_label() == f"early stop at epoch {stopper.stopped_epoch}"
    assert to_hex(stop.get_color()) == ANNOTATION["stop"] and stop.get_linestyle() == "-."
    [best] = labelled(fig, f"best epoch {d.best_epoch}")
    assert list(best.get_xdata()) == [d.best_epoch]
    ARTIFACTS.mkdir(exist_ok=True)
    fig.savefig(ARTIFACTS / "plot.png", dpi=150)
    assert (ARTIFACTS / "plot.png").stat().st_size > 10_000


# -- files --------------------------------------------------------------------------------------------
def test_svg_has_a_path_per_curve_and_pdf_is_a_pdf(store_dir, tmp_path):
    record("svg-run")
    svg = save_plot("svg-run", tmp_path / "curves.svg")
    text = Path(svg).read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        group = text.split(f'id="curve-0-{key}"', 1)[1].split("</g>", 1)[0]
        assert "<path" in group, key
    assert save_plot(["svg-run"], str(tmp_path / "curves.PDF")).endswith("curves.PDF")
    assert (tmp_path / "curves.PDF").read_bytes().startswith(b"%PDF")


def test_keras_csvlogger_file_as_source(tmp_path, capsys):
    out = tmp_path / "csv.png"
    assert main(["plot", str(CSV_LOG), "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    fig = fitwatch.diagnose(str(CSV_LOG)).plot()
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["loss", "accuracy"]  # not learning_rate
    assert len(curve(fig, "val_accuracy").get_xdata()) == len(CSV_LOG.read_text().splitlines()) - 1


@pytest.mark.parametrize("args, words", [
    (["plot", "p-run", "-o", "{tmp}/out.jpg"], ["out.jpg", ".png, .svg or .pdf"]),
    (["plot", "no-such-run", "-o", "{tmp}/out.png"], ["no-such-run", "no run"]),
    (["plot", "p-run", "-o", "{tmp}/missing/out.png"], ["missing", "does not exist", "mkdir"]),
    (["plot", "p-run", "-o", "{tmp}/out.png", "--log", "--monitor", "val_f1"], ["val_f1", "--monitor"]),
])
def test_user_errors_are_one_line_with_exit_2(store_dir, tmp_path, capsys, args, words):
    record("p-run", acc=False)
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fitwatch: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, (w, err)
    assert not any(tmp_path.glob("out.*"))


def test_forced_log_scale_on_a_loss_below_zero_is_an_error_and_auto_falls_back_to_linear(tmp_path, capsys):
    c = fitwatch.Curves.from_history({"loss": [5.0, 1.0, 0.0, -0.5], "val_loss": [5.0, 2.0, 0.01, 0.001]})
    assert plot_curves(c, False).axes[0].get_yscale() == "linear"
    with pytest.raises(ValueError, match=r"values <= 0 .*--linear"):
        plot_curves(c, False, log=True)


# -- layout and colours -------------------------------------------------------------------------------
def test_panels_titles_and_split_colours(store_dir):
    fig = fitwatch.load(record("two-panels").id).plot()
    assert len(fig.axes) == 2
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["loss", "accuracy"]
    assert fig.axes[-1].get_xlabel() == "epoch" and fig.axes[0].get_shared_x_axes().joined(*fig.axes)
    for key, split in [("loss", "train"), ("val_loss", "val"), ("accuracy", "train"), ("val_accuracy", "val")]:
        line = curve(fig, key)
        assert to_hex(line.get_color()) == SPLIT_COLORS[split]
        np.testing.assert_allclose(line.get_ydata(), fitwatch.load("two-panels").history[key])
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()][:2] == ["train", "val"]

    fig = fitwatch.load(record("one-panel", acc=False).id).plot()
    assert len(fig.axes) == 1 and fig.axes[0].get_title(loc="left") == "loss"
    assert fig.axes[0].get_xlabel() == "epoch"


def test_every_split_on_the_loss_panel_with_its_own_colour(store_dir):
    with fitwatch.Run("splits", diagnose=False) as run:
        for epoch in run.epochs(4):
            for k, split in enumerate(["train", "val", "test", "holdout"]):
                run.log(split, loss=(1 + 0.1 * k) / (epoch + 1), accuracy=0.5 + 0.1 * epoch - 0.01 * k)
    fig = run.plot()
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["loss", "accuracy"]
    assert [t.get_text() for t in fig.legends[0].get_texts()][:4] == ["train", "val", "test", "holdout"]
    colours = {to_hex(curve(fig, key).get_color()) for key in ("loss", "val_loss", "test_loss", "holdout_loss")}
    assert len(colours) == 4 and SPLIT_COLORS["test"] in colours
    assert curve(fig, "holdout_accuracy").axes is fig.axes[1]


def test_another_metric_takes_the_second_panel_when_there_is_no_accuracy():
    c = fitwatch.Curves.from_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "lr": [0.1] * 3,
                                      "mae": [0.9, 0.6, 0.5], "val_mae": [1.0, 0.8, 0.7]})
    fig = plot_curves(c)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["loss", "mae"]
    assert not lines_with(fig, "curve-0-lr")


def test_best_epoch_marker_and_onset_band_of_an_overfitting_curve(store_dir):
    run = record("overfit")
    d = run.diagnosis_
    assert d.verdict == "overfitting" and d.onset_epoch is not None
    fig = run.plot()
    [marker] = labelled(fig, f"best epoch {d.best_epoch}")
    assert marker.axes is fig.axes[0] and list(marker.get_xdata()) == [d.best_epoch]
    assert list(marker.get_ydata()) == [VAL[d.best_epoch]]
    assert to_hex(marker.get_color()) == ANNOTATION["best"]
    assert [list(ln.get_xdata()) for ln in lines_with(fig, "best-")] == [[d.best_epoch] * 2] * 2  # both panels
    bands = [p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith("onset")]
    assert len(bands) == 2
    for band in bands:
        assert band.get_x() == d.onset_epoch and band.get_x() + band.get_width() == len(TRAIN) - 1
        assert to_hex(band.get_facecolor()) == ANNOTATION["onset"]
        assert band.get_alpha() == ANNOTATION["onset_alpha"]
    assert bands[0].get_label() == f"overfitting from epoch {d.onset_epoch}"
    assert not lines_with(fig, "early-stop")  # no early stop in this run

    fig = run.plot(smooth=0.5)  # the marker shows the raw value the diagnosis states, on the faint raw curve
    [marker] = labelled(fig, f"best epoch {d.best_epoch}")
    assert marker.get_ydata()[0] == pytest.approx(VAL[d.best_epoch])
    assert marker.get_ydata()[0] != pytest.approx(ema(VAL, 0.5)[d.best_epoch])
    assert labelled(fig, "val (smoothed 0.5)") and labelled(fig, "train (smoothed 0.5)")


def test_restored_epoch_other_than_the_best_is_said():
    stop = {"stopped": True, "stopped_epoch": 14, "restored": True, "restored_epoch": 9, "best_epoch": 9}
    c = fitwatch.Curves.from_history({"loss": TRAIN[:15], "val_loss": VAL[:15]}, name="restored")
    c.stop = stop
    d = fitwatch.diagnose_curves(c)
    assert d.best_epoch != 9
    fig = d.plot()
    [ring] = labelled(fig, "weights restored from epoch 9")
    assert list(ring.get_xdata()) == [9] and ring.get_markerfacecolor() == "none"
    assert labelled(fig, "early stop at epoch 14")


# -- smoothing, scale, overlays, NaN ------------------------------------------------------------------
def test_smoothing_draws_the_ema_over_the_faint_raw_curve(store_dir):
    fig = record("smooth").plot(smooth=0.6)
    for key, values in [("loss", TRAIN), ("val_loss", VAL), ("accuracy", ACC), ("val_accuracy", VAL_ACC)]:
        raw, smooth = curve(fig, key, raw=True), curve(fig, key)
        assert raw.get_alpha() == ANNOTATION["raw_alpha"] and smooth.get_alpha() is None
        assert raw.get_color() == smooth.get_color()
        np.testing.assert_allclose(raw.get_ydata(), values)
        np.testing.assert_allclose(smooth.get_ydata(), ema(values, 0.6))
        assert smooth.get_label() in ("train (smoothed 0.6)", "val (smoothed 0.6)") or smooth.get_label().startswith("_")
        assert raw.get_label().startswith("_")  # the raw curve has no legend entry
    assert len(lines_with(fig, "curve-")) == 8
    assert len(lines_with(record("plain").plot(), "curve-")) == 4


def test_log_scale_chosen_when_the_loss_spans_decades():
    epochs = np.arange(20)
    four = fitwatch.Curves.from_history({"loss": 10.0 ** (-epochs / 5), "val_loss": 1.5 * 10.0 ** (-epochs / 5)})
    one = fitwatch.Curves.from_history({"loss": np.linspace(1.0, 0.1, 20), "val_loss": np.linspace(1.1, 0.2, 20)})
    assert plot_curves(four).axes[0].get_yscale() == "log"
    assert plot_curves(four).axes[0].get_title(loc="left") == "loss (log scale)"
    assert plot_curves(one).axes[0].get_yscale() == "linear"
    assert plot_curves(one, log=True).axes[0].get_yscale() == "log"
    assert plot_curves(four, log=False).axes[0].get_yscale() == "linear"
    assert 1.0 / 0.1 < LOG_SPAN < 1.0 / 10.0 ** (-19 / 5)


def test_two_sources_overlay_one_colour_per_run(store_dir, tmp_path):
    record("run-a", acc=False)
    record("run-b", acc=False, train=[v * 0.8 for v in TRAIN], val=[v * 0.9 for v in VAL])
    path = save_plot(["run-a", "run-b"], tmp_path / "both.png")
    assert Path(path).read_bytes()[:4] == b"\x89PNG"
    from fitwatch.show.plot import plot_sources

    fig = plot_sources(["run-a", "run-b"])
    for i in (0, 1):
        train, val = curve(fig, "loss", i), curve(fig, "val_loss", i)
        assert to_hex(train.get_color()) == to_hex(val.get_color()) == run_color(i)
        assert val.get_linestyle() == "-" and train.get_linestyle() == "--"
    assert run_color(0) != run_color(1)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[:4] == ["run-a · train", "run-a · val", "run-b · train", "run-b · val"]
    assert "best epoch" in texts and not lines_with(fig, "early-stop")
    assert not [p for ax in fig.axes for p in ax.patches]  # no onset bands when overlaid
    assert fig.texts[0].get_text() == "run-a: overfitting   vs   run-b: overfitting"


def test_nan_curve_plots_its_finite_part_and_marks_the_first_nan():
    val = VAL[:10] + [float("nan")] * 6
    train = TRAIN[:9] + [float("inf")] + [float("nan")] * 6
    c = fitwatch.Curves.from_history({"loss": train, "val_loss": val}, name="diverged")
    fig = plot_curves(c, smooth=0.6)
    assert curve(fig, "loss", raw=True).get_xdata().tolist() == list(range(9))
    assert curve(fig, "val_loss").get_xdata().tolist() == list(range(10))
    assert all(np.isfinite(ln.get_ydata()).all() for ln in lines_with(fig, "curve-"))
    [mark] = [ln for ln in lines_with(fig, "nonfinite") if ln.get_label() != "" and not ln.get_label().startswith("_")]
    assert mark.get_label() == "inf at epoch 9" and list(mark.get_xdata()) == [9, 9]
    c = fitwatch.Curves.from_history({"loss": [1.0, float("nan"), float("nan")], "val_loss": [1.0, 0.9, math.nan]})
    assert labelled(plot_curves(c), "NaN at epoch 1")
    fig.savefig(Path(__import__("tempfile").mkdtemp()) / "nan.png")  # draws without error


def test_sparse_validation_is_drawn_through_its_points_and_not_marked_nan(store_dir):
    validated = [e for e in range(len(TRAIN)) if e % 3 == 2]  # Keras validation_freq=3: 2, 5, 8, 11, 14
    with fitwatch.Run("sparse-val", diagnose="quiet") as run:
        for epoch in run.epochs(len(TRAIN)):
            run.log("train", loss=TRAIN[epoch])
            if epoch in validated:
                run.log("val", loss=VAL[epoch])
    assert run.diagnosis_.verdict != "diverged"
    for smooth in (0.0, 0.6):
        fig = fitwatch.load("sparse-val").plot(smooth=smooth)
        val = curve(fig, "val_loss", raw=smooth > 0)
        assert val.get_xdata().tolist() == validated and val.get_ydata().tolist() == [VAL[e] for e in validated]
        assert val.get_marker() == "o" and curve(fig, "loss").get_marker() == "None"  # markers on the sparse one
        assert curve(fig, "loss").get_xdata().tolist() == list(range(len(TRAIN)))
        assert not lines_with(fig, "nonfinite") and not [t for t in fig.legends[0].get_texts()
                                                          if t.get_text().startswith(("NaN", "inf"))]
    # a NaN *value* of the sparse curve is marked, at its epoch
    val = [VAL[e] if e in validated else None for e in range(len(TRAIN))]
    val[11] = math.nan
    fig = plot_curves(fitwatch.Curves.from_history({"loss": TRAIN, "val_loss": val}))
    assert labelled(fig, "NaN at epoch 11") and curve(fig, "val_loss").get_xdata().tolist() == [2, 5, 8, 14]


# -- methods and the rest ------------------------------------------------------------------------------
def test_run_plot_during_training_shows_the_epochs_so_far(store_dir):
    run = fitwatch.Run("live", diagnose=False)
    for epoch in run.epochs(5):
        if epoch == 3:  # epochs 0-2 ended (committed by the writer thread, or still queued: plot flushes)
            fig = run.plot()
            assert curve(fig, "val_loss").get_xdata().tolist() == [0, 1, 2]
        run.log_epoch(loss=TRAIN[epoch], val_loss=VAL[epoch])
    run.finish()
    assert curve(run.plot(), "val_loss").get_xdata().tolist() == [0, 1, 2, 3, 4]


def test_diagnosis_plot_of_a_multi_run_source_overlays_and_to_dict_is_unchanged(tmp_path):
    log = tmp_path / "two.jsonl"
    log.write_text("\n".join(
        f'{{"run": "{r}", "epoch": {e}, "loss": {t * k}, "val_loss": {v * k}}}'
        for r, k in (("a", 1.0), ("b", 0.5)) for e, (t, v) in enumerate(zip(TRAIN, VAL))))
    d = fitwatch.diagnose(str(log))
    assert len(d.runs) == 2
    fig = d.plot()
    assert len(lines_with(fig, "curve-1-val_loss")) == 1
    assert "_curves" not in d.to_dict() and "_curves" not in d.runs[0].to_dict()
    bare = fitwatch.Diagnosis(verdict="good_fit", best_epoch=1, onset_epoch=None, findings=[])
    with pytest.raises(ValueError, match="no curves to plot"):
        bare.plot()


def test_pyplot_and_rc_params_untouched_and_core_does_not_import_matplotlib():
    import matplotlib
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    fig = plot_curves(fitwatch.Curves.from_history({"loss": TRAIN, "val_loss": VAL}))
    assert plt.get_fignums() == [] and fig.canvas.manager is None
    assert dict(matplotlib.rcParams) == before
    run_python("import sys, fitwatch\nassert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
               "d = fitwatch.diagnose({'loss': [1.0, 0.5], 'val_loss': [1.1, 0.7]})\n"
               "assert 'matplotlib' not in sys.modules")


def test_without_matplotlib_the_command_says_which_extra_to_install(tmp_path):
    p = run_python("import sys\nsys.modules['matplotlib'] = None  # as if not installed\n"
                   "from fitwatch.cli import main\n"
                   f"sys.exit(main(['plot', {str(CSV_LOG)!r}, '-o', {str(tmp_path / 'x.png')!r}]))", check=False)
    assert p.returncode == 2
    assert p.stderr == "fitwatch plot needs matplotlib: pip install 'fitwatch[plot]'\n"


def test_readme_plot_block_runs_as_written(tmp_path, monkeypatch):
    from test_readme import run_block

    run_block("plot", tmp_path, monkeypatch)
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _yolo_csv(path, n=30):
    """A YOLO-style results.csv: three heads (box, cls, dfl) with their validation losses, and metrics."""
    e = np.arange(1, n + 1)
    cols = {"epoch": e}
    for head, start in (("box", 1.9), ("cls", 2.3), ("dfl", 1.7)):
        cols[f"train/{head}_loss"] = start * np.exp(-e / 30)
        rise = 0.06 * np.maximum(e - 12, 0) if head == "box" else 0.0  # the box head overfits from epoch 12
        cols[f"val/{head}_loss"] = start * 1.1 * np.exp(-e / 30) + rise
    cols["metrics/precision(B)"] = 0.3 + 0.02 * e
    cols["metrics/mAP50-95(B)"] = 0.1 + 0.01 * e
    cols["lr/pg0"] = np.linspace(0.01, 0.001, n)
    lines = [",".join(f"{k:>20s}" for k in cols)]
    lines += [",".join(f"{cols[k][i]:>20.5g}" for k in cols) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_multi_head_log_gets_a_panel_and_a_verdict_per_head(tmp_path):
    src = _yolo_csv(tmp_path / "results.csv")
    fig = fitwatch.plot.plot_sources(str(src))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles[:3] == ["box_loss", "cls_loss", "dfl_loss"] and len(titles) == 4
    assert "box_loss overfitting" in fig.texts[0].get_text() and "cls_loss" in fig.texts[0].get_text()
    ds = fitwatch.diagnose(src).runs
    for ax, d in zip(fig.axes, ds):  # each head's best epoch is marked on its own panel, at its raw value
        [marker] = [ln for ln in ax.lines if ln.get_label().startswith("best epoch")]
        assert marker.get_label() == f"best epoch {d.best_epoch} ({d.monitor.removeprefix('val_')})"
        assert marker.get_ydata()[0] == pytest.approx(fitwatch.readers.read_curves(src)[0].series[d.monitor][
            list(fitwatch.readers.read_curves(src)[0].epochs).index(d.best_epoch)], rel=1e-4)
    assert all(ln.get_label() != "train" for ln in fig.axes[3].lines if "precision" in (ln.get_gid() or ""))


@pytest.mark.parametrize("monitor, panel", [("val/box_loss", "box_loss"), ("box_loss", "box_loss"),
                                            ("metrics/mAP50-95(B)", "metrics_map50_95(b)")])
def test_a_monitor_of_a_multi_head_log_is_drawn_and_marked(tmp_path, monitor, panel):
    src = _yolo_csv(tmp_path / "results.csv")
    out = save_plot(str(src), tmp_path / "x.png", monitor=monitor)  # was an IndexError for a curve not drawn
    assert Path(out).stat().st_size > 0
    fig = fitwatch.plot.plot_sources(str(src), monitor=monitor)
    [ax] = [ax for ax in fig.axes if ax.get_title(loc="left") == panel]
    assert any(ln.get_label().startswith("best epoch") for ln in ax.lines)


def test_report_of_a_multi_head_log_has_a_section_per_head(tmp_path):
    src = _yolo_csv(tmp_path / "results.csv")
    assert main(["report", str(src), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    for head in ("box_loss", "cls_loss", "dfl_loss"):
        assert f"results [{head}]" in html or f"results.csv [{head}]" in html


def _two_heads_csv(path, n=12, nan_at=None):
    """A log without a total loss: two heads (reg, cls) each with its validation curve."""
    rows = ["epoch,reg_loss,val_reg_loss,cls_loss,val_cls_loss"]
    for e in range(1, n + 1):
        val_reg = "nan" if e == nan_at else f"{1 / e + 0.01 * e:.5g}"
        rows.append(f"{e},{1 / e:.5g},{val_reg},{2 / e:.5g},{2 / e + 0.02 * e:.5g}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_multi_head_log_beside_a_plain_one_names_both_runs(tmp_path):
    heads, plain = _two_heads_csv(tmp_path / "heads.csv"), tmp_path / "plain.csv"
    plain.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / e:.4g},{1.1 / e + 0.01 * e:.4g}\n"
                                                       for e in range(1, 13)))
    fig = fitwatch.plot.plot_sources([str(heads), str(plain)])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["loss", "reg_loss", "cls_loss"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for name in ("heads.csv", "plain.csv"):
        assert f"{name} · train" in legend and f"{name} · val" in legend
    html_out = tmp_path / "r.html"
    assert main(["report", str(heads), str(plain), "-o", str(html_out)]) == 0
    text = html_out.read_text(encoding="utf-8")
    from test_report import figures

    traces = [t["name"] for f in figures(text)["panels"] for t in f["data"]]
    assert "heads.csv · training" in traces and "plain.csv · validation" in traces
    assert traces.count("heads.csv · validation") == 2  # once on each head's panel, not once per head per panel
    assert "<h1>2 runs compared</h1>" in text


def test_a_report_of_two_multi_head_logs_counts_runs_and_lists_heads_under_them(tmp_path):
    a, b = _two_heads_csv(tmp_path / "a.csv"), _two_heads_csv(tmp_path / "b.csv", n=10)
    out = tmp_path / "r.html"
    assert main(["report", str(a), str(b), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<h1>2 runs compared</h1>" in text and "4 runs" not in text
    rows = re.findall(r"<tr[^>]*><td[^>]*>(?:<span[^>]*></span>)?(?:<a[^>]*>)?([^<]*)", text.split("</header>")[0])
    assert [r.replace("&nbsp;", "").strip() for r in rows] == [
        "a.csv: each head", "a.csv [reg_loss]", "a.csv [cls_loss]",
        "b.csv: each head", "b.csv [reg_loss]", "b.csv [cls_loss]"]


def test_a_nan_is_marked_only_on_the_panels_of_its_curve(tmp_path):
    src = _two_heads_csv(tmp_path / "heads.csv", nan_at=8)
    fig = fitwatch.plot.plot_sources(str(src))
    marked = {ax.get_title(loc="left"): any((ln.get_gid() or "").startswith("nonfinite") for ln in ax.lines)
              for ax in fig.axes}
    assert marked == {"reg_loss": True, "cls_loss": False}


def test_a_report_marks_a_heads_nan_on_its_panel_only(tmp_path):
    src, out = _two_heads_csv(tmp_path / "heads.csv", nan_at=8), tmp_path / "r.html"
    assert main(["report", str(src), "-o", str(out)]) == 0
    from test_report import figures

    marked = {f["layout"]["yaxis"]["title"]["text"]: [s.get("name") for s in f["layout"]["shapes"]
                                                      if "NaN" in (s.get("name") or "")]
              for f in figures(out.read_text(encoding="utf-8"))["panels"]}
    assert marked == {"reg_loss": ["NaN/inf from epoch 8"], "cls_loss": []}  # one run: its heads drawn as one run's


def test_a_report_of_a_multi_head_log_marks_each_heads_best_and_onset_on_its_panel(tmp_path):
    """A new user's trial: the report of a multi-head run drew no best-epoch line and no overfitting band
    on any panel (plot and the dashboard drew each head's)."""
    src, out = _yolo_csv(tmp_path / "results.csv"), tmp_path / "r.html"
    assert main(["report", str(src), "-o", str(out)]) == 0
    from test_report import figures

    panels = {f["layout"]["yaxis"]["title"]["text"]: f for f in figures(out.read_text(encoding="utf-8"))["panels"]}
    for d in fitwatch.diagnose(src).runs:
        f = panels[d.monitor.removeprefix("val_")]
        lines = [s["x0"] for s in f["layout"]["shapes"] if s["type"] == "line" and s["line"]["dash"] == "dot"]
        assert lines == [d.best_epoch], (d.monitor, f["layout"]["shapes"])
        bands = [s["x0"] for s in f["layout"]["shapes"] if s["type"] == "rect"]
        assert bands == ([d.onset_epoch] if d.onset_epoch is not None else []), (d.monitor, bands)
