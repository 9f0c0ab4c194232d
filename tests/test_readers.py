"""readers: every diagnosis source into Curves, one per run; the log files people really have."""

import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import fitwatch
from fitwatch.diagnosis.curves import Curves
from fitwatch.diagnosis.readers import ReadError, read_curves

from conftest import run_python

DATA = Path(__file__).parent / "data" / "logs"
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "curves"


def write(tmp_path, name, content) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


def one(source, **kw) -> Curves:
    runs = read_curves(source, **kw)
    assert len(runs) == 1, [c.name for c in runs]
    return runs[0]


def values(c: Curves) -> dict:
    return {k: v.tolist() for k, v in c.series.items()}


def same(a, b) -> bool:
    """Lists equal, NaN equal to NaN."""
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


# -- Keras CSVLogger and the variants on disk --------------------------------------------------
def test_keras_csvlogger_crlf(tmp_path):
    c = one(DATA / "keras_csvlogger.csv")
    assert c.name == "keras_csvlogger.csv" and c.source.endswith("keras_csvlogger.csv")
    assert c.epochs.tolist() == [0, 1, 2, 3]
    assert values(c) == {
        "accuracy": [0.6125, 0.7031, 0.7513, 0.7899],
        "learning_rate": [0.001, 0.001, 0.0005, 0.0005],
        "loss": [0.6734, 0.5820, 0.5102, 0.4511],
        "val_accuracy": [0.655, 0.7, 0.715, 0.71],
        "val_loss": [0.6402, 0.5911, 0.5807, 0.5853],
    }
    assert c.notes == []


def test_no_epoch_column_uses_the_row_index(tmp_path):
    c = one(write(tmp_path, "log.csv", "loss,val_loss\n0.9,1.0\n0.8,0.9\n0.7,0.95\n"))
    assert c.epochs.tolist() == [0, 1, 2]
    assert values(c) == {"loss": [0.9, 0.8, 0.7], "val_loss": [1.0, 0.9, 0.95]}


def test_pandas_index_column_with_an_empty_header(tmp_path):
    c = one(write(tmp_path, "hist.csv", ",loss,val_loss,accuracy\n0,0.9,1.0,0.5\n1,0.8,0.9,0.6\n"))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9], "accuracy": [0.5, 0.6]}


def test_r_write_table_header_without_the_row_name_column(tmp_path):
    c = one(write(tmp_path, "hist.txt", '"loss" "val_loss"\n"1" 0.9 1.0\n"2" 0.8 0.9\n'))
    assert c.epochs.tolist() == [1, 2]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators(tmp_path, sep):
    text = sep.join(["epoch", "loss", "val_loss"]) + "\n" + "\n".join(
        sep.join(r) for r in [("0", "0.9", "1.0"), ("1", "0.8", "0.9")]) + "\n"
    c = one(write(tmp_path, "log.csv", text))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_semicolon_and_decimal_comma(tmp_path):
    c = one(write(tmp_path, "log.csv", "epoch;loss;val_loss\n0;0,9;1,05\n1;0,8;0,95\n"))
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.05, 0.95]}
    assert any("decimal comma" in n for n in c.notes)


def test_space_aligned_columns_and_a_commented_header(tmp_path):
    # np.savetxt(..., header="epoch loss val_loss")
    c = one(write(tmp_path, "log.txt", "# epoch loss val_loss\n0 0.9  1.0\n1 0.8  0.9\n"))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


@pytest.mark.parametrize("title", ["# run 3", "Training log for model X", "run 3, lr=0.01, batch 32 (resumed)"])
def test_title_line_above_the_header(tmp_path, title):
    c = one(write(tmp_path, "log.csv", f"{title}\nepoch,loss,val_loss\n1,0.9,1.0\n2,0.8,0.9\n"))
    assert c.epochs.tolist() == [1, 2]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


@pytest.mark.parametrize("eol", ["\r\n", "\r\r\n", "\r"])
@pytest.mark.parametrize("final", [True, False])
def test_line_endings_and_no_final_newline(tmp_path, eol, final):
    text = eol.join(["epoch,loss,val_loss", "0,0.9,1.0", "1,0.8,0.9"]) + (eol if final else "")
    c = one(write(tmp_path, "log.csv", text))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_utf8_bom_and_utf16_files(tmp_path):
    text = "epoch,loss,val_loss\r\n0,0.9,1.0\r\n1,0.8,0.9\r\n"
    assert values(one(write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode()))) == \
        {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}
    # PowerShell's Out-File / Excel "Unicode text"
    expected = {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}
    assert values(one(write(tmp_path, "u16.csv", text.encode("utf-16")))) == expected


def test_title_case_and_spaced_headers(tmp_path):
    c = one(write(tmp_path, "log.csv", "Epoch,Train Loss,Val Loss,Train Accuracy,Validation Accuracy\n"
                                       "1,0.9,1.0,0.5,0.45\n2,0.8,0.9,0.6,0.55\n"))
    assert c.epochs.tolist() == [1, 2]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9], "accuracy": [0.5, 0.6],
                         "val_accuracy": [0.45, 0.55]}


def test_camel_case_headers(tmp_path):
    c = one(write(tmp_path, "log.csv", "epoch,trainLoss,valLoss\n0,0.9,1.0\n"))
    assert values(c) == {"loss": [0.9], "val_loss": [1.0]}


def test_old_keras_acc_names(tmp_path):
    c = one(write(tmp_path, "log.csv", "epoch,acc,loss,val_acc,val_loss\n0,0.5,0.9,0.45,1.0\n1,0.6,0.8,0.55,0.9\n"))
    assert values(c) == {"accuracy": [0.5, 0.6], "loss": [0.9, 0.8], "val_accuracy": [0.45, 0.55],
                         "val_loss": [1.0, 0.9]}
    assert c.notes == []


@pytest.mark.parametrize("val_name", ["test_loss", "valid_loss", "validation_loss", "Validation Loss", "eval_loss"])
def test_validation_spellings(tmp_path, val_name):
    c = one(write(tmp_path, "log.csv", f"epoch,train_loss,{val_name}\n0,0.9,1.0\n1,0.8,0.9\n"))
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_val_and_test_loss_both_kept(tmp_path):
    c = one(write(tmp_path, "log.csv", "epoch,loss,test_loss,val_loss\n0,0.9,1.1,1.0\n"))
    assert values(c) == {"loss": [0.9], "test_loss": [1.1], "val_loss": [1.0]}
    assert any("test_loss" in n for n in c.notes)
    # beside a validation split, every test column stays a test column (test_acc was val_accuracy
    # while test_loss kept its name); a test split alone stands for validation
    c = one(write(tmp_path, "both.csv", "epoch,loss,val_loss,test_loss,test_acc\n0,0.9,1.0,1.1,0.5\n"))
    assert values(c) == {"loss": [0.9], "val_loss": [1.0], "test_loss": [1.1], "test_accuracy": [0.5]}
    c = one(write(tmp_path, "test.csv", "epoch,loss,test_loss,test_acc\n0,0.9,1.1,0.5\n"))
    assert values(c) == {"loss": [0.9], "val_loss": [1.1], "val_accuracy": [0.5]}


def test_accuracy_in_percent(tmp_path):
    c = one(write(tmp_path, "log.csv", "epoch,loss,acc,val_acc,val_loss\n0,0.9,52.5,50,1.0\n1,0.8,71.25,60.5,0.9\n"))
    assert values(c) == {"loss": [0.9, 0.8], "accuracy": [0.525, 0.7125], "val_accuracy": [0.5, 0.605],
                         "val_loss": [1.0, 0.9]}
    assert "acc looks like percent (max 71.25): divided by 100" in c.notes
    assert "val_acc looks like percent (max 60.5): divided by 100" in c.notes
    # a % sign in the header or the cells says so even below 1.5
    c = one(write(tmp_path, "pct.csv", "epoch,loss,Val Acc (%),train_acc\n0,0.9,1.0,1.5%\n"))
    assert values(c) == {"loss": [0.9], "val_accuracy": [0.01], "accuracy": [0.015]}


def test_extra_columns_ignored_or_kept(tmp_path):
    text = ('epoch,phase,loss,val_loss,lr,batch_size,weights,comment,empty\n'
            '0,train,0.9,1.0,0.001,32,"[0.1, 0.2]",warmup,\n'
            '1,train,0.8,0.9,0.001,32,"[0.1, 0.3]",,\n'
            '2,train,0.7,0.85,0.0005,32,"[0.2, 0.3]",,\n')
    c = one(write(tmp_path, "log.csv", text))
    assert c.epochs.tolist() == [0, 1, 2]
    assert values(c) == {"loss": [0.9, 0.8, 0.7], "val_loss": [1.0, 0.9, 0.85], "lr": [0.001, 0.001, 0.0005],
                         "batch_size": [32.0, 32.0, 32.0]}
    ignored = " ".join(c.notes)
    assert "weights" in ignored and "comment" in ignored and "phase" in ignored and "empty" in ignored


def test_nan_inf_and_blank_cells_are_data(tmp_path):
    text = "epoch,loss,val_loss,accuracy\n0,0.9,1.0,0.5\n1,nan,inf,\n2,NaN,-inf,0.6\n3,,Infinity,0.7\n"
    c = one(write(tmp_path, "log.csv", text))
    assert c.epochs.tolist() == [0, 1, 2, 3]
    assert same(c.loss.tolist(), [0.9, math.nan, math.nan, math.nan])
    assert c.val_loss.tolist() == [1.0, math.inf, -math.inf, math.inf]
    assert same(c.series["accuracy"].tolist(), [0.5, math.nan, 0.6, 0.7])


def test_torch_tensor_strings_read_as_numbers(tmp_path):
    text = ('epoch,loss,val_loss\n0,tensor(0.9000),"tensor(1.0000, device=\'cuda:0\')"\n'
            '1,tensor(0.8000),tensor(0.9000)\n')
    c = one(write(tmp_path, "log.csv", text))
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


@pytest.mark.parametrize("start", [1, 11])
def test_epochs_kept_as_in_the_source(tmp_path, start):
    c = one(write(tmp_path, "log.csv", f"epoch,loss,val_loss\n{start},0.9,1.0\n{start + 1},0.8,0.9\n"))
    assert c.epochs.tolist() == [start, start + 1]


def test_runs_appended_epoch_counter_resets(tmp_path):
    """Each restart begins a new run: its loss starts again near where the run before started."""
    text = "epoch,loss,val_loss\n0,0.9,1.0\n1,0.8,0.9\n0,0.95,0.8\n1,0.6,0.7\n2,0.5,0.6\n1,0.92,0.5\n"
    runs = read_curves(write(tmp_path, "runs.csv", text))
    assert [c.name for c in runs] == ["runs.csv#1", "runs.csv#2", "runs.csv#3"]
    assert [c.epochs.tolist() for c in runs] == [[0, 1], [0, 1, 2], [1]]
    assert [c.loss.tolist() for c in runs] == [[0.9, 0.8], [0.95, 0.6, 0.5], [0.92]]
    assert "3 runs in one file (the epoch counter restarts at lines 4, 7)" in runs[0].notes


def test_a_resumed_run_is_one_run_and_an_attempt_begun_again_is_left_out(tmp_path):
    """Issue 11's real logs (CSVLogger(append=True), console logs): an epoch counter that starts again
    with the loss (or the accuracy) taking up where it left off is the run resumed, its epochs
    renumbered to follow on; the same first values again are an attempt begun anew; else a new run."""
    text = "epoch,loss,accuracy\n0,2.0,0.3\n1,1.0,0.6\n2,0.5,0.8\n0,0.48,0.81\n1,0.45,0.82\n"
    [c] = read_curves(write(tmp_path, "resumed.csv", text))
    assert c.epochs.tolist() == [0, 1, 2, 3, 4] and c.loss.tolist() == [2.0, 1.0, 0.5, 0.48, 0.45]
    assert any("read as the run resumed" in n and "line 5" in n for n in c.notes)
    # regularisation added on resuming: the loss jumps, the accuracy takes up where it left off
    text = "epoch,loss,accuracy\n0,0.5,0.80\n1,0.4,0.86\n2,0.33,0.89\n0,2.3,0.88\n1,1.2,0.89\n"
    [c] = read_curves(write(tmp_path, "regularised.csv", text))
    assert len(c) == 5
    text = "epoch,loss\n0,2.0\n1,1.9\n0,2.0\n1,1.9\n2,1.5\n3,1.1\n"
    [c] = read_curves(write(tmp_path, "again.csv", text))
    assert c.loss.tolist() == [2.0, 1.9, 1.5, 1.1]
    assert any("an attempt begun again, left out" in n for n in c.notes)
    text = "epoch,loss,accuracy\n0,2.0,0.3\n1,0.6,0.8\n0,3.6,0.01\n1,2.9,0.02\n"  # a new run
    assert [len(c) for c in read_curves(write(tmp_path, "new.csv", text))] == [2, 2]
    # the same start again for fewer epochs than the first went: a run trained again, shorter (a new
    # user's trial: a 12-epoch fit then the same with epochs=8 lost the 12-epoch run); both are runs
    text = "epoch,loss\n0,2.0\n1,1.9\n2,1.5\n3,1.1\n0,2.0\n1,1.9\n2,1.5\n"
    runs = read_curves(write(tmp_path, "shorter.csv", text))
    assert [len(c) for c in runs] == [4, 3]
    assert any("read as a second run (a run trained again, shorter)" in n for n in runs[1].notes)


def test_runs_appended_repeated_header(tmp_path):
    text = ("# run 1\nepoch,loss,val_loss\n0,0.9,1.0\n1,0.8,0.9\n"
            "# run 2\nepoch,loss,val_loss\n5,0.7,0.8\n6,0.6,0.7\n"
            "epoch,loss,val_loss,val_accuracy\n0,0.5,0.6,0.7\n")
    runs = read_curves(write(tmp_path, "runs.csv", text))
    assert [c.name for c in runs] == ["runs.csv#1", "runs.csv#2", "runs.csv#3"]
    assert [c.epochs.tolist() for c in runs] == [[0, 1], [5, 6], [0]]
    assert [values(c) for c in runs] == [
        {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]},
        {"loss": [0.7, 0.6], "val_loss": [0.8, 0.7]},
        {"loss": [0.5], "val_loss": [0.6], "val_accuracy": [0.7]},
    ]


def test_run_column_splits_runs(tmp_path):
    text = "run,epoch,loss,val_loss\nbaseline,0,0.9,1.0\nbaseline,1,0.8,0.9\nwide,0,0.7,0.8\nwide,1,0.6,0.7\n"
    runs = read_curves(write(tmp_path, "all.csv", text))
    assert [(c.name, c.loss.tolist()) for c in runs] == [("all.csv#baseline", [0.9, 0.8]), ("all.csv#wide", [0.7, 0.6])]


def test_long_format_phase_column(tmp_path):
    text = "epoch,phase,loss,acc\n0,train,0.9,0.5\n0,val,1.0,0.45\n1,train,0.8,0.6\n1,val,0.95,0.5\n"
    c = one(write(tmp_path, "log.csv", text))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.95], "accuracy": [0.5, 0.6],
                         "val_accuracy": [0.45, 0.5]}


def test_truncated_last_row_of_a_killed_writer(tmp_path):
    """A last line cut short (no line break after it: the writer was killed, the log copied while it
    was written) is left out with a note naming the file and the line: fewer fields than the header,
    a number stopping at its point, a value far shorter than the rest of its column (a new user's
    CSVLogger file whose last accuracy read 0.718 under 0.7343078255653381 was read as it was)."""
    c = one(write(tmp_path, "log.csv", "epoch,loss,val_loss\n0,0.9,1.0\n1,0.8,0.9\n2,0.7"))
    assert c.epochs.tolist() == [0, 1] and c.val_loss.tolist() == [1.0, 0.9]
    assert c.notes == ["log.csv: line 4, the last, was cut short (2 of the header's 3 fields; no line break after "
                       "it): left out"]
    c = one(write(tmp_path, "dot.csv", "epoch,loss\n0,0.9123\n1,0.8123\n2,0.7123\n3,0."))
    assert c.epochs.tolist() == [0, 1, 2] and "dot.csv: line 5, the last, was cut short (its last value stops at "\
        "'0.'; no line break after it): left out" in c.notes
    text = ("epoch,loss,accuracy,val_loss,val_accuracy\n0,0.7149578928947449,0.5988987684249878,0.6280650496482849,"
            "0.7343078255653381\n1,0.6064627170562744,0.7098687291145325,0.5717502236366272,0.7489252090454102\n"
            "2,0.5719084739685059,0.7280813455581665,0.5865832567214966,0.718")
    c = one(write(tmp_path, "trunc.csv", text))
    assert c.epochs.tolist() == [0, 1]
    assert c.notes == ["trunc.csv: line 4, the last, was cut short (its last value, '0.718', is shorter than every "
                       "other in val_accuracy; no line break after it): left out"]
    # the same rows ending with a line break, or a last value like the others: whole, read, no note
    for name, whole in (("nl.csv", text + "\n"), ("short.csv", "epoch,loss\n0,0.9\n1,0.85\n2,0.8")):
        c = one(write(tmp_path, name, whole))
        assert c.epochs.tolist() == [0, 1, 2] and not c.notes


def test_gzipped_csv(tmp_path):
    c = one(write(tmp_path, "log.csv.gz", gzip.compress(b"epoch,loss\n0,0.9\n1,0.8\n")))
    assert values(c) == {"loss": [0.9, 0.8]}


def test_only_a_training_loss_or_only_a_validation_loss(tmp_path):
    assert values(one(write(tmp_path, "a.csv", "epoch,loss\n0,0.9\n"))) == {"loss": [0.9]}
    assert values(one(write(tmp_path, "b.csv", "epoch,val_loss,val_acc\n0,0.9,0.5\n"))) == \
        {"val_loss": [0.9], "val_accuracy": [0.5]}


def test_markdown_table(tmp_path):
    text = "| epoch | loss | val_loss |\n|---|---|---|\n| 1 | 0.9 | 1.0 |\n| 2 | 0.8 | 0.9 |\n"
    c = one(write(tmp_path, "results.md", text))
    assert c.epochs.tolist() == [1, 2] and values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_keras_console_output(tmp_path):
    bar = "━" * 20
    keras3 = ("Epoch 1/3\n"
              f"\x1b[1m1875/1875\x1b[0m \x1b[32m{bar}\x1b[0m\x1b[37m\x1b[0m \x1b[1m3s\x1b[0m 1ms/step - "
              "accuracy: 0.8792 - loss: 0.4258 - val_accuracy: 0.9594 - val_loss: 0.1352\n"
              f"Epoch 2/3\n1875/1875 {bar} 2s 1ms/step - accuracy: 0.9612 - loss: 0.1321 - "
              "val_accuracy: 0.9691 - val_loss: 0.1012 - learning_rate: 1.0000e-03\n"
              f"Epoch 3/3\n1875/1875 {bar} 2s 1ms/step - accuracy: 0.9723 - loss: nan - "
              "val_accuracy: 0.9702 - val_loss: nan\n")
    c = one(write(tmp_path, "nohup.out", keras3))
    assert c.epochs.tolist() == [1, 2, 3]
    assert same(c.loss.tolist(), [0.4258, 0.1321, math.nan])
    assert same(c.val_loss.tolist(), [0.1352, 0.1012, math.nan])
    assert c.series["val_accuracy"].tolist() == [0.9594, 0.9691, 0.9702]
    # Keras 2, a progress bar redrawn with \r and backspaces: the last update of each epoch
    keras2 = ("Epoch 1/2\n\r  32/1875 [..............................] - ETA: 1:02 - loss: 2.3012 - accuracy: 0.0938"
              "\x08\x08\x08\r1875/1875 [==============================] - 5s 2ms/step - loss: 0.2954 - "
              "accuracy: 0.9143 - val_loss: 0.1422 - val_accuracy: 0.9576\n"
              "Epoch 2/2\n1875/1875 [==============================] - 4s 2ms/step - loss: 0.1401 - "
              "accuracy: 0.9581 - val_loss: 0.1044 - val_accuracy: 0.9683\n")
    c = one(write(tmp_path, "train.log", keras2))
    assert c.epochs.tolist() == [1, 2]
    assert values(c) == {"loss": [0.2954, 0.1401], "accuracy": [0.9143, 0.9581], "val_loss": [0.1422, 0.1044],
                         "val_accuracy": [0.9576, 0.9683]}


# -- PyTorch Lightning --------------------------------------------------------------------------
def test_lightning_metrics_csv():
    c = one(DATA / "lightning_logs" / "version_0" / "metrics.csv")
    assert c.epochs.tolist() == [0, 1, 2]
    assert values(c) == {
        "lr_adam": [0.001, 0.0005, 0.00025],
        "accuracy": [0.6011, 0.705, 0.7702],
        "loss": [0.6801, 0.6012, 0.5402],
        "val_accuracy": [0.655, 0.71, 0.7],
        "val_loss": [0.6523, 0.5912, 0.6034],
    }
    assert any("train_loss_step" in n for n in c.notes)


def test_lightning_step_only_columns(tmp_path):
    text = ("epoch,step,train_loss_step,val_loss\n"
            "0,49,0.75,\n0,99,0.25,\n0,99,,0.65\n1,149,0.5,\n1,199,0.3,\n1,199,,0.59\n")
    c = one(write(tmp_path, "metrics.csv", text))
    assert c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.5, 0.4], "val_loss": [0.65, 0.59]}  # the mean of the step values
    # logged on_step only, no suffix (self.log("train_loss", loss) in training_step): the epoch's mean,
    # not its last batch (issue 11: the last batch made a smooth training curve look noisy)
    text = "epoch,step,train_loss,val_loss\n0,49,0.7,\n0,99,0.6,\n0,99,,0.65\n1,149,0.5,\n1,199,0.3,\n1,199,,0.59\n"
    c = one(write(tmp_path, "metrics.csv", text))
    assert c.loss.tolist() == pytest.approx([0.65, 0.4]) and c.val_loss.tolist() == [0.65, 0.59]
    assert "train_loss: the mean of each epoch's step values (no per-epoch column)" in c.notes


# -- JSON ---------------------------------------------------------------------------------------
def test_json_lines_one_object_per_epoch(tmp_path):
    text = ('{"epoch": 1, "loss": 0.9, "val_loss": 1.0, "acc": 50.0, "lr": 0.1, "phase": "train"}\n'
            '{"epoch": 2, "loss": 0.8, "val_loss": NaN, "acc": 60.0}\n'
            '{"epoch": 3, "loss": null, "val_loss": Infinity, "acc": 70.0}\n'
            '{"epoch": 4, "loss": 0.6, "val_l')  # the writer was killed mid-line
    c = one(write(tmp_path, "log.jsonl", text))
    assert c.epochs.tolist() == [1, 2, 3]
    assert same(c.loss.tolist(), [0.9, 0.8, math.nan])
    assert same(c.val_loss.tolist(), [1.0, math.nan, math.inf])
    assert c.series["accuracy"].tolist() == [0.5, 0.6, 0.7]
    assert same(c.series["lr"].tolist(), [0.1, math.nan, math.nan])
    assert "log.jsonl: line 4, the last, was cut short (not whole JSON): left out" in c.notes


def test_json_nested_per_split(tmp_path):
    text = json.dumps([{"epoch": 0, "train": {"loss": 0.9}, "val": {"loss": 1.0}},
                       {"epoch": 1, "train": {"loss": 0.8}, "val": {"loss": 0.9}}])
    assert values(one(write(tmp_path, "log.json", text))) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_json_keras_history_dict(tmp_path):
    text = json.dumps({"loss": [0.9, 0.8, 0.7], "val_loss": [1.0, None, 0.95], "val_acc": [0.5, 0.6, 0.65]})
    c = one(write(tmp_path, "history.json", text))
    assert c.name == "history.json" and c.epochs.tolist() == [0, 1, 2]
    assert same(c.val_loss.tolist(), [1.0, math.nan, 0.95])
    assert c.series["val_accuracy"].tolist() == [0.5, 0.6, 0.65]


@pytest.mark.parametrize("compress", [False, True])
def test_shared_curves_format(tmp_path, compress):
    lines = [{"id": "blood/0", "x": "epoch", "loss": [0.9, 0.8, None], "val_loss": [1.0, 0.9, 0.95],
              "accuracy": [0.5, 0.6, 0.7]},
             {"id": "blood/1", "x": "epoch", "hp": {"lr": 0.1}, "loss": [0.7, 0.6], "val_loss": [None, 0.8]}]
    data = "".join(json.dumps(r) + "\n" for r in lines).encode()
    name = "curves.jsonl.gz" if compress else "curves.jsonl"
    runs = read_curves(write(tmp_path, name, gzip.compress(data) if compress else data))
    assert [c.name for c in runs] == ["blood/0", "blood/1"]
    assert [c.epochs.tolist() for c in runs] == [[0, 1, 2], [0, 1]]
    assert same(runs[0].loss.tolist(), [0.9, 0.8, math.nan])
    assert same(runs[1].val_loss.tolist(), [math.nan, 0.8])
    assert runs[0].series["accuracy"].tolist() == [0.5, 0.6, 0.7]


@pytest.mark.parametrize("corpus, n", [("lcbench_blood.jsonl.gz", 2000), ("taskset_imdb_rnn.jsonl.gz", 12000)])
def test_shared_corpora(corpus, n):
    path = CORPORA / corpus
    if not path.exists():
        pytest.skip(f"{path} is not here")
    t0 = time.perf_counter()
    runs = read_curves(path)
    elapsed = time.perf_counter() - t0
    assert len(runs) == n
    assert elapsed < 8, f"{elapsed:.1f} s"
    assert all(c.loss is not None and c.val_loss is not None and len(c) > 0 for c in runs)
    assert len({c.name for c in runs}) == n
    # null -> NaN, counted against the raw file
    with gzip.open(path, "rt") as f:
        first = json.loads(f.readline())
        nulls = sum(line.count("null") for line in f) + json.dumps(first).count("null")
    assert runs[0].name == first["id"]
    assert same(runs[0].val_loss.tolist(), [math.nan if v is None else v for v in first["val_loss"]])
    nans = sum(int(np.isnan(v).sum()) for c in runs for v in c.series.values())
    assert nans == nulls


# -- TensorBoard --------------------------------------------------------------------------------
def _keras_tensorboard_logs(logdir: Path):
    """What Keras' TensorBoard callback writes: train/ and validation/ with epoch_* scalars (as TF2
    tensors) and batch_* ones; written here with tensorboard's own writer (no TensorFlow needed)."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    md = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    curves = {"train": {"epoch_loss": [0.9, 0.7, 0.6], "epoch_accuracy": [0.5, 0.6, 0.7], "batch_loss": [1, 2, 3]},
              "validation": {"epoch_loss": [1.0, 0.8, 0.85], "epoch_accuracy": [0.45, 0.55, 0.6],
                             "evaluation_loss_vs_iterations": [1.0, 0.8, 0.85]}}
    for split, tags in curves.items():
        w = EventFileWriter(str(logdir / split))
        for tag, vals in tags.items():
            for step, v in enumerate(vals):
                value = summary_pb2.Summary.Value(tag=tag, metadata=md,
                                                  tensor=tensor_util.make_tensor_proto(np.float32(v)))
                w.add_event(event_pb2.Event(wall_time=1.0, step=step * (10 if tag.startswith("batch") else 1),
                                            summary=summary_pb2.Summary(value=[value])))
        w.close()


def test_tensorboard_keras_layout(tmp_path):
    _keras_tensorboard_logs(tmp_path / "logs" / "fit-1")
    c = one(tmp_path / "logs")
    assert c.name == "fit-1"
    assert c.epochs.tolist() == [0, 1, 2]
    assert values(c) == {"loss": [0.9, 0.7, 0.6], "val_loss": [1.0, 0.8, 0.85], "accuracy": [0.5, 0.6, 0.7],
                         "val_accuracy": [0.45, 0.55, 0.6]}


def _tb_csv(path, values, start=0):
    path.write_text("Wall time,Step,Value\n" + "".join(f"{1.7e9 + 60 * i:.3f},{start + i},{v}\n"
                                                       for i, v in enumerate(values)))


def test_tensorboard_csv_downloads(tmp_path):
    """TensorBoard's "download CSV" (Wall time,Step,Value; the run and tag in the file's name): a new
    user's trial got 'no training or validation loss column (found: Wall time, Step, Value)', and a
    folder of a run's downloads 'no readable training log'."""
    train, val = [1.0, 0.7, 0.5, 0.4, 0.35, 0.3], [1.1, 0.8, 0.65, 0.6, 0.62, 0.66]
    run = tmp_path / "export"
    run.mkdir()
    _tb_csv(run / "run-train-tag-epoch_loss.csv", train)
    _tb_csv(run / "run-validation-tag-epoch_loss.csv", val)
    _tb_csv(run / "run-validation-tag-epoch_accuracy.csv", [0.5, 0.6, 0.7, 0.72, 0.71, 0.7])
    [c] = read_curves(run)
    assert c.loss.tolist() == train and c.val_loss.tolist() == val and c.epochs.tolist() == list(range(6))
    assert set(c.series) == {"loss", "val_loss", "val_accuracy"}
    assert any(n.startswith("TensorBoard CSV downloads: run-train-tag-epoch_loss.csv as loss") for n in c.notes), c.notes
    [alone] = read_curves(run / "run-validation-tag-epoch_loss.csv")  # one file: one curve
    assert alone.val_loss.tolist() == val and alone.loss is None
    assert fitwatch.diagnose(str(run)).best_epoch == 3
    # SummaryWriter's "Loss/train" (written Loss_train), a run folder of its own, a file named by its tag
    other = tmp_path / "other"
    other.mkdir()
    _tb_csv(other / "run-exp1-tag-Loss_train.csv", train)
    _tb_csv(other / "run-exp1-tag-Loss_val.csv", val)
    [c] = read_curves(other)
    assert c.name.endswith("exp1") and c.loss.tolist() == train and c.val_loss.tolist() == val
    _tb_csv(tmp_path / "val_loss.csv", val)
    assert read_curves(tmp_path / "val_loss.csv")[0].val_loss.tolist() == val
    bad = tmp_path / "bad.csv"
    bad.write_text("Wall time,Step,Value\n1.7e9,0,0.5\n1.7e9,one,0.4\n")
    with pytest.raises(ReadError, match=r"^bad.csv: line 3: expected three numbers \(Wall time, Step, Value\)"):
        read_curves(bad)


def test_tensorboard_torch_summary_writer(tmp_path):
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "exp1"))
    for epoch, (a, b) in enumerate([(0.9, 1.0), (0.8, 0.95), (0.7, 0.97)]):
        w.add_scalar("Loss/train", a, epoch)
        w.add_scalar("Loss/val", b, epoch)
        w.add_scalar("lr", 0.01, epoch)
    w.close()
    c = one(tmp_path / "runs")
    assert c.name == "exp1" and c.epochs.tolist() == [0, 1, 2]
    assert values(c) == {"loss": [0.9, 0.8, 0.7], "val_loss": [1.0, 0.95, 0.97], "lr": [0.01, 0.01, 0.01]}
    # one event file given directly
    [event_file] = (tmp_path / "runs" / "exp1").glob("events.out.tfevents.*")
    assert values(one(event_file)) == values(c)


def test_tensorboard_per_epoch_tags_beside_a_per_step_one_keep_the_epoch_axis(tmp_path):
    """A fourth trial: Loss/train, Loss/val per epoch (steps 0-29) and Loss/train_step every 10 steps to
    1290. The step tag was noted as ignored, yet its steps stayed epochs: "157 epochs", "epochs 0-1290"."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "wd"))
    for epoch in range(30):
        w.add_scalar("Loss/train", 1.0 / (epoch + 1), epoch)
        w.add_scalar("Loss/val", 1.2 / (epoch + 1), epoch)
    for step in range(0, 1300, 10):
        w.add_scalar("Loss/train_step", 1.0 / (step / 43 + 1), step)
    w.close()
    c = one(tmp_path / "runs")
    assert c.epochs.tolist() == list(range(30)) and set(values(c)) == {"loss", "val_loss"}
    assert any("ignored Loss/train_step" in n for n in c.notes), c.notes


def test_tensorboard_lightning_logger(tmp_path):
    """Lightning's TensorBoardLogger: global steps, an ``epoch`` scalar, *_step and *_epoch tags."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "lightning_logs" / "version_0"))
    for step, epoch, loss_step in [(49, 0, 0.7), (99, 0, 0.6), (149, 1, 0.5), (199, 1, 0.4)]:
        w.add_scalar("train_loss_step", loss_step, step)
        w.add_scalar("epoch", epoch, step)
    for step, loss, val in [(99, 0.65, 0.66), (199, 0.45, 0.5)]:
        w.add_scalar("train_loss_epoch", loss, step)
        w.add_scalar("val_loss", val, step)
    w.close()
    c = one(tmp_path / "lightning_logs")
    assert c.name == "version_0" and c.epochs.tolist() == [0, 1]
    assert values(c) == {"loss": [0.65, 0.45], "val_loss": [0.66, 0.5]}


def _overfitting_history(n=60):
    """Training loss falls; validation falls, bottoms out near epoch 20 and rises (4 decimals: exact as float32)."""
    tr = [round(math.exp(-e / 10) + 0.05, 4) for e in range(n)]
    va = [round(math.exp(-e / 10) + 0.1 + 0.004 * max(0, e - 20) ** 1.3, 4) for e in range(n)]
    return tr, va


def test_tensorboard_add_scalars_is_one_run(tmp_path, recwarn):
    """add_scalars("loss", {"train": .., "val": ..}) writes loss_train/ and loss_val/, each with the
    tag "loss": one run with loss and val_loss, judged as the same numbers in a CSV are."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    import fitwatch

    tr, va = _overfitting_history()
    w = SummaryWriter(str(tmp_path / "logs" / "tb2"))
    for i in range(60):
        w.add_scalars("loss", {"train": tr[i], "val": va[i]}, i)
    w.close()
    assert sorted(p.name for p in (tmp_path / "logs" / "tb2").iterdir() if p.is_dir()) == ["loss_train", "loss_val"]
    c = one(tmp_path / "logs" / "tb2")
    assert c.name == "tb2" and c.epochs.tolist() == list(range(60))
    assert values(c) == {"loss": tr, "val_loss": va}
    assert "add_scalars subfolders read as one run: loss_train, loss_val" in c.notes
    csv = write(tmp_path, "same.csv", "epoch,loss,val_loss\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in
                                                                          enumerate(zip(tr, va))))
    d, expected = fitwatch.diagnose(str(tmp_path / "logs" / "tb2")), fitwatch.diagnose(str(csv))
    assert d.verdict == expected.verdict == "overfitting"
    assert (d.best_epoch, d.onset_epoch) == (expected.best_epoch, expected.onset_epoch)
    assert one(tmp_path / "logs").name == "tb2"  # read from the folder above: the same single run
    assert not recwarn.list  # the parent's event file (no scalars of its own) is no run without a loss


def test_tensorboard_add_scalars_loss_and_accuracy_with_parent_tags(tmp_path, recwarn):
    """add_scalars for loss and accuracy beside the parent's own add_scalar("lr"); several runs stay
    several; keys that name no split ({"adam": .., "sgd": ..}) stay runs of their own."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    for run, scale in [("exp1", 1.0), ("exp2", 0.5)]:
        w = SummaryWriter(str(tmp_path / "runs" / run))
        for i, (loss, val, acc, val_acc) in enumerate([(0.9, 1.0, 0.5, 0.45), (0.7, 0.8, 0.6, 0.55),
                                                       (0.6, 0.85, 0.7, 0.6)]):
            w.add_scalars("loss", {"train": loss * scale, "validation": val * scale}, i)
            w.add_scalars("accuracy", {"train": acc, "val": val_acc}, i)
            w.add_scalar("lr", 0.01, i)
        w.close()
    runs = read_curves(tmp_path / "runs")
    assert [c.name for c in runs] == ["exp1", "exp2"]
    assert values(runs[0]) == {"accuracy": [0.5, 0.6, 0.7], "val_accuracy": [0.45, 0.55, 0.6],
                               "loss": [0.9, 0.7, 0.6], "val_loss": [1.0, 0.8, 0.85], "lr": [0.01, 0.01, 0.01]}
    assert values(runs[1])["val_loss"] == [0.5, 0.4, 0.425] and runs[1].epochs.tolist() == [0, 1, 2]
    # keys that carry the split and the metric: add_scalars("Loss", {"train_loss": .., "val_loss": ..})
    w = SummaryWriter(str(tmp_path / "keys" / "run"))
    for i, (a, b) in enumerate([(0.9, 1.0), (0.8, 0.95)]):
        w.add_scalars("Loss/epoch", {"train_loss": a, "val_loss": b}, i)
    w.close()
    assert values(one(tmp_path / "keys")) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.95]}
    # optimisers side by side: a run per key, as before
    w = SummaryWriter(str(tmp_path / "compare"))
    for i, (a, b) in enumerate([(0.9, 1.0), (0.8, 0.95)]):
        w.add_scalars("loss", {"adam": a, "sgd": b}, i)
    w.close()
    runs = read_curves(tmp_path / "compare")
    assert [(c.name, values(c)) for c in runs] == [("loss_adam", {"loss": [0.9, 0.8]}),
                                                   ("loss_sgd", {"loss": [1.0, 0.95]})]
    assert not recwarn.list


def test_skip_warnings_name_the_callers_line(tmp_path):
    """A run without a loss (or a file that is no log) is skipped with a one-line warning attributed
    to the caller's line, however deep inside fitwatch it was raised: never a line of fitwatch."""
    pytest.importorskip("tensorboard")
    import warnings

    from torch.utils.tensorboard import SummaryWriter

    import fitwatch
    from fitwatch.diagnosis.readers import read_path

    for run, tag in [("a", "loss"), ("b", "lr")]:
        w = SummaryWriter(str(tmp_path / "tb" / run))
        for i in range(4):
            w.add_scalar(tag, 1.0 / (i + 1), i)
        w.close()
    write(tmp_path, "tb/config.json", '{"lr": 0.1, "layers": 3}')
    for call in (lambda: read_curves(tmp_path / "tb"), lambda: read_path(str(tmp_path / "tb")),
                 lambda: fitwatch.diagnose(str(tmp_path / "tb"))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [str(w.message) for w in caught] == [
            "fitwatch: skipped TensorBoard runs without a loss: b",
            f"fitwatch: in {tmp_path / 'tb'}, skipped config.json (no training or validation loss key "
            f"(found: lr, layers); name the loss key 'loss' and the validation loss 'val_loss')"]
        assert all(w.category is UserWarning and w.filename == __file__ for w in caught), \
            [(w.filename, w.lineno) for w in caught]
        text = warnings.formatwarning(caught[0].message, UserWarning, caught[0].filename, caught[0].lineno)
        assert text.startswith(f"{__file__}:") and "_read_folder" not in text  # the test's line, not the reader's


def test_tensorboard_missing_says_pip_install(tmp_path, monkeypatch):
    d = tmp_path / "tb"
    d.mkdir()
    (d / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"\x00" * 16)
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")] + ["tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # import tensorboard... -> ImportError
    with pytest.raises(ReadError) as e:
        read_curves(d)
    assert str(e.value) == ("tb: TensorBoard event files; reading them needs the tensorboard package: "
                            "pip install tensorboard")


# -- folders ------------------------------------------------------------------------------------
def test_folder_reads_every_log(tmp_path):
    write(tmp_path, "exp/a.csv", "epoch,loss\n0,0.9\n1,0.8\n")
    write(tmp_path, "exp/sub/b.jsonl", '{"loss": 0.7, "val_loss": 0.8}\n{"loss": 0.6, "val_loss": 0.7}\n')
    write(tmp_path, "exp/sub/notes.txt", "nothing to see here\n")
    write(tmp_path, "exp/.hidden/c.csv", "epoch,loss\n0,1\n")
    (tmp_path / "exp" / "lightning_logs").mkdir()
    import shutil

    shutil.copytree(DATA / "lightning_logs" / "version_0", tmp_path / "exp" / "lightning_logs" / "version_0")
    with pytest.warns(UserWarning) as caught:
        runs = read_curves(str(tmp_path / "exp"))
    assert [str(w.message) for w in caught] == [  # a .txt that is no log is said, not skipped in silence
        f"fitwatch: in {tmp_path / 'exp'}, skipped sub/notes.txt (not a training log fitwatch can read (line 1: "
        f"'nothing to see here'))"]
    assert [c.name for c in runs] == ["a.csv", "lightning_logs/version_0/metrics.csv", "sub/b.jsonl"]
    assert runs[0].loss.tolist() == [0.9, 0.8]
    assert runs[1].val_loss.tolist() == [0.6523, 0.5912, 0.6034]
    assert runs[2].val_loss.tolist() == [0.8, 0.7]


def test_folder_says_which_files_it_left_out_and_why(tmp_path):
    """A folder's files that are no log are named with why, in the one warning: a .txt of words (it
    was skipped in silence), files without a suffix (not read: named alone they would be)."""
    write(tmp_path, "a.csv", "epoch,loss\n0,0.9\n1,0.8\n")
    write(tmp_path, "junk.txt", "hello world\nnot a log\n")
    write(tmp_path, "o1", "epoch,loss\n0,0.9\n1,0.8\n")
    write(tmp_path, "model.pt", b"\x80\x02")
    with pytest.warns(UserWarning) as caught:
        runs = read_curves(tmp_path)
    assert [c.name for c in runs] == ["a.csv"]
    assert [str(w.message) for w in caught] == [
        f"fitwatch: in {tmp_path}, skipped junk.txt (not a training log fitwatch can read (line 1: 'hello world')); "
        f"o1 (not read in a folder: no log suffix (a rotated or backup copy?); name the file alone to read it)"]
    assert [c.loss.tolist() for c in read_curves(tmp_path / "o1")] == [[0.9, 0.8]]  # named alone, it is read
    for i in range(8):  # a folder of many: the first five, and how many more
        write(tmp_path / "labels", f"img{i}.txt", "0 0.5 0.5 0.1 0.1\n")
    with pytest.warns(UserWarning) as caught:
        read_curves(tmp_path)
    msg = str(caught[0].message)  # grouped by why: the labels in one entry, the rest each named
    assert "labels/img0.txt, labels/img1.txt, labels/img2.txt and 5 more (line 1: numbers before any header" in msg, msg
    assert "junk.txt (not a training log" in msg and "; o1 (not read in a folder" in msg, msg


def test_folder_skips_unreadable_files_with_a_warning(tmp_path):
    write(tmp_path, "a.csv", "epoch,loss\n0,0.9\n")
    write(tmp_path, "config.json", '{"lr": 0.1, "layers": 3}')
    with pytest.warns(UserWarning, match="config.json"):
        runs = read_curves(tmp_path)
    assert [c.name for c in runs] == ["a.csv"]


# -- in-memory sources --------------------------------------------------------------------------
def test_curves_returned_as_is():
    c = Curves(epochs=[0, 1], series={"loss": [1.0, 0.5]}, name="x")
    assert read_curves(c)[0] is c


def test_history_dict_and_history_object():
    h = {"loss": [0.9, 0.8], "val_loss": [1.0, None], "val_acc": [0.5, 0.6]}
    c = one(h)
    assert c.epochs.tolist() == [0, 1] and same(c.val_loss.tolist(), [1.0, math.nan])
    assert c.series["val_accuracy"].tolist() == [0.5, 0.6]

    class History:  # keras.callbacks.History's shape: .history and .epoch
        history = {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}
        epoch = [3, 4]  # fit(initial_epoch=3)

    c = one(History())
    assert c.epochs.tolist() == [3, 4] and values(c) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]}


def test_plain_lists():
    c = one([[0.9, 0.8, 0.7]])
    assert c.epochs.tolist() == [0, 1, 2] and values(c) == {"loss": [0.9, 0.8, 0.7]}
    c = one(([0.9, 0.8, 0.7], [1.0, 0.9]))
    assert c.loss.tolist() == [0.9, 0.8, 0.7] and same(c.val_loss.tolist(), [1.0, 0.9, math.nan])
    assert values(one([0.9, 0.8])) == {"loss": [0.9, 0.8]}
    assert values(one(np.array([[0.9, 0.8], [1.0, 0.95]]))) == {"loss": [0.9, 0.8], "val_loss": [1.0, 0.95]}
    c = one([{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.8, "val_loss": 0.85}])
    assert c.epochs.tolist() == [1, 2] and same(c.val_loss.tolist(), [math.nan, 0.85])
    with pytest.raises(ReadError, match="which is the loss"):
        read_curves(([1.0], [2.0], [3.0]))


def test_dict_of_runs():
    runs = read_curves({"small": {"loss": [0.9, 0.8]}, "big": ([0.7, 0.6], [0.8, 0.7])})
    assert [(c.name, c.loss.tolist()) for c in runs] == [("small", [0.9, 0.8]), ("big", [0.7, 0.6])]


def test_pandas_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.8, 0.7], "val_loss": [1.0, np.nan, 0.95],
                       "acc": [50.0, 60.0, 70.0], "phase": ["train"] * 3})
    c = one(df)
    assert c.epochs.tolist() == [1, 2, 3]
    assert c.loss.tolist() == [0.9, 0.8, 0.7] and same(c.val_loss.tolist(), [1.0, math.nan, 0.95])
    assert c.series["accuracy"].tolist() == [0.5, 0.6, 0.7]
    # pd.DataFrame(history.history): the RangeIndex is the epoch; an index named epoch too
    df = pd.DataFrame({"loss": [0.9, 0.8], "val_loss": [1.0, 0.9]})
    assert one(df).epochs.tolist() == [0, 1]
    assert one(df.set_axis(pd.Index([5, 6], name="epoch"))).epochs.tolist() == [5, 6]
    # nullable dtypes: pd.NA is a missing value
    df = pd.DataFrame({"loss": pd.array([0.9, None], dtype="Float64")})
    assert same(one(df).loss.tolist(), [0.9, math.nan])


def test_store_run_by_name_and_rundata(store_dir):
    import fitwatch

    with fitwatch.Run("baseline", dir=store_dir) as run:
        for epoch in run.epochs(3):
            run.log_epoch(loss=1.0 / (epoch + 1), val_loss=1.5 / (epoch + 1), accuracy=0.5 + epoch / 10)
    c = one("baseline", dir=store_dir)
    assert c.name == "baseline" and c.source == "run:baseline"
    assert c.epochs.tolist() == [0, 1, 2]
    assert c.loss.tolist() == [1.0, 0.5, 1 / 3] and c.val_loss.tolist() == [1.5, 0.75, 0.5]
    data = fitwatch.Store.open(store_dir).load("baseline")
    assert values(one(data)) == values(c)
    assert values(one("baseline")) == values(c)  # FITWATCH_DIR
    # the store folder as a path: every run in it
    assert [r.name for r in read_curves(str(store_dir))] == ["baseline"]


# -- no value vs a NaN value: Curves.missing ----------------------------------------------------
def masks(c: Curves) -> dict:
    return {k: m.tolist() for k, m in c.missing.items()}


def test_csv_empty_cell_is_missing_nan_text_is_a_value(tmp_path):
    text = "epoch,loss,val_loss\n0,0.9,\n1,0.8,nan\n2,0.7,0.75\n3,0.6,NA\n4,0.5,inf\n5,0.4,\n"
    c = one(write(tmp_path, "log.csv", text))
    assert masks(c) == {"val_loss": [True, False, False, True, False, True]}
    e, v = c.values("val_loss")
    assert e.tolist() == [1, 2, 4] and same(v.tolist(), [math.nan, 0.75, math.inf])
    assert c.present("loss").all() and c.values("loss")[0].tolist() == list(range(6))
    # Lightning's metrics.csv: an epoch without a row holding val_loss has no value
    text = "epoch,step,train_loss,val_loss\n0,49,0.7,\n0,99,0.6,\n1,149,0.5,\n1,199,0.3,\n1,199,,nan\n"
    c = one(write(tmp_path, "metrics.csv", text))
    assert masks(c) == {"val_loss": [True, False]} and math.isnan(c.val_loss[1])


def test_csv_word_among_numbers_is_missing_with_a_note_not_a_divergence(tmp_path):
    """A typo in one cell is not a NaN (which reads as a loss that blew up): it is a missing value,
    named in a note; a NaN or infinity written in words (Windows' 1.#QNAN) stays one."""
    c = one(write(tmp_path, "log.csv", "epoch,loss,val_loss\n0,abc,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.75\n"))
    assert masks(c) == {"loss": [True, False, False, False]}
    assert any("1 non-numeric value in loss read as missing (e.g. 'abc')" in n for n in c.notes)
    assert fitwatch.diagnose(c).verdict != "diverged"
    c = one(write(tmp_path, "q.csv", "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,1.#QNAN,0.8\n"))
    assert math.isnan(c.series["loss"][2]) and not c.missing.get("loss", np.zeros(3, bool)).any()
    assert fitwatch.diagnose(c).verdict == "diverged"


def test_json_lines_absent_key_or_null_is_missing_nan_is_a_value(tmp_path):
    text = ('{"epoch": 0, "loss": 0.9}\n{"epoch": 1, "loss": 0.8, "val_loss": NaN}\n'
            '{"epoch": 2, "loss": 0.7, "val_loss": null}\n{"epoch": 3, "loss": 0.6, "val_loss": Infinity}\n')
    c = one(write(tmp_path, "log.jsonl", text))
    assert masks(c) == {"val_loss": [True, False, True, False]}
    assert same(c.values("val_loss")[1].tolist(), [math.nan, math.inf])
    # Keras' console output: val_loss printed every 2nd epoch only
    bar = "━" * 20
    text = "".join(f"Epoch {e}/4\n10/10 {bar} 0s - loss: {1 / e:.4f}" + (f" - val_loss: {1.1 / e:.4f}" if e % 2 == 0
                                                                           else "") + "\n" for e in range(1, 5))
    c = one(write(tmp_path, "train.log", text))
    assert c.epochs.tolist() == [1, 2, 3, 4] and masks(c) == {"val_loss": [True, False, True, False]}


def test_shared_format_null_is_a_value_and_a_short_list_is_not(tmp_path):
    line = {"id": "r/0", "x": "epoch", "loss": [0.9, None, 0.7, 0.6], "val_loss": [1.0, 0.8]}
    c = one(write(tmp_path, "curves.jsonl.gz", gzip.compress((json.dumps(line) + "\n").encode())))
    assert "loss" not in c.missing and same(c.loss.tolist(), [0.9, math.nan, 0.7, 0.6])  # null: NaN (the format says)
    assert masks(c) == {"val_loss": [True, False, True, False]}  # 2 values for 4 epochs: validation_freq=2
    assert same(c.val_loss.tolist(), [math.nan, 1.0, math.nan, 0.8])


def test_tensorboard_a_step_without_the_tag_is_missing(tmp_path):
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "sparse"))
    for epoch in range(6):
        w.add_scalar("Loss/train", 1.0 / (epoch + 1), epoch)
        if epoch % 2 == 1:
            w.add_scalar("Loss/val", math.nan if epoch == 5 else 1.2 / (epoch + 1), epoch)
    w.close()
    c = one(tmp_path / "runs")
    assert masks(c) == {"val_loss": [True, False, True, False, True, False]}
    assert c.values("val_loss")[0].tolist() == [1, 3, 5] and math.isnan(c.values("val_loss")[1][-1])


def test_python_none_is_missing_nan_is_a_value():
    c = one({"loss": [0.9, 0.8, 0.7], "val_loss": [None, float("nan"), 0.75]})
    assert masks(c) == {"val_loss": [True, False, False]}
    c = one(([0.9, 0.8, 0.7], [None, 0.8, math.nan]))
    assert masks(c) == {"val_loss": [True, False, False]}
    c = one([{"epoch": 0, "loss": 0.9}, {"epoch": 1, "loss": 0.8, "val_loss": math.nan}])
    assert masks(c) == {"val_loss": [True, False]}
    assert not one(np.array([[0.9, 0.8], [math.nan, 0.7]])).missing  # numpy holds values only


def test_keras_history_with_validation_freq():
    class History:  # keras.callbacks.History of fit(epochs=10, validation_freq=3)
        history = {"loss": [1.0 / (e + 1) for e in range(10)], "val_loss": [0.5, 0.3, 0.2]}
        epoch = list(range(10))

    c = one(History())
    assert c.epochs.tolist() == list(range(10))
    e, v = c.values("val_loss")
    assert e.tolist() == [2, 5, 8] and v.tolist() == [0.5, 0.3, 0.2]  # Keras validates when (epoch + 1) % 3 == 0
    assert masks(c)["val_loss"] == [e not in (2, 5, 8) for e in range(10)] and "loss" not in c.missing
    assert any("validation_freq=3" in n for n in c.notes)
    # 11 epochs, validation every 3rd: still 3 values, at 2, 5, 8 (epochs 9 and 10 without)
    c = one({"loss": [1.0] * 11, "val_accuracy": [0.5, 0.6, 0.7]})
    assert c.values("val_accuracy")[0].tolist() == [2, 5, 8]
    # a length that no validation_freq explains: padded at the end as missing, and said so
    c = one({"loss": [1.0, 0.9, 0.8, 0.7, 0.6], "val_loss": [1.1, 1.0, 0.9]})
    assert masks(c) == {"val_loss": [False, False, False, True, True]}
    assert "val_loss has 3 values for 5 epochs: the last 2 marked missing" in " ".join(c.notes)


def test_dataframe_nan_gap_is_missing_nan_to_the_end_is_a_value():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"loss": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
                       "val_loss": [np.nan, 0.95, np.nan, 0.8, np.nan, 0.7, np.nan]})
    assert masks(one(df)) == {"val_loss": [True, False, True, False, True, False, True]}
    diverged = pd.DataFrame({"loss": [1.0, 0.9, 0.8, np.nan, np.nan], "val_loss": [1.1, 1.0, 0.9, np.inf, np.nan]})
    assert not one(diverged).missing  # NaN that never ends: values
    # validation every 2nd epoch, then a divergence longer than its gaps
    df = pd.DataFrame({"loss": [1.0] * 8, "val_loss": [np.nan, 0.9, np.nan, 0.8] + [np.nan] * 4})
    assert masks(one(df)) == {"val_loss": [True, False, True, False, False, False, False, False]}
    df = pd.DataFrame({"loss": [1.0, 0.9], "val_loss": pd.array([None, 0.8], dtype="Float64")})
    assert masks(one(df)) == {"val_loss": [True, False]}  # pd.NA: missing


def test_store_run_missing_epochs_come_from_its_rows(store_dir):
    import fitwatch

    with fitwatch.Run("sparse", dir=store_dir, diagnose=False) as run, pytest.warns(fitwatch.NonFiniteValue):
        for epoch in run.epochs(6):
            run.log("train", loss=1.0 / (epoch + 1))
            if epoch % 3 == 2:
                run.log("val", loss=math.nan if epoch == 5 else 0.5)
    c = one("sparse", dir=store_dir)
    assert masks(c) == {"val_loss": [True, True, False, True, True, False]}
    e, v = c.values("val_loss")
    assert e.tolist() == [2, 5] and v[0] == 0.5 and math.isnan(v[1])  # a logged NaN is a value


def test_curves_missing_masks_are_checked():
    c = Curves([0, 1], {"loss": [1.0, 0.5]}, "x")  # positional, as before: nothing missing
    assert c.missing == {} and c.present("loss").tolist() == [True, True]
    with pytest.raises(ValueError, match=r"missing mask for 'loss' has 1 entries for 2 epochs"):
        Curves(epochs=[0, 1], series={"loss": [1.0, 0.5]}, missing={"loss": np.array([True])})
    with pytest.raises(ValueError, match=r"missing mask for 'val_loss', which is not a series"):
        Curves(epochs=[0, 1], series={"loss": [1.0, 0.5]}, missing={"val_loss": np.array([True, False])})
    with pytest.raises(ValueError, match="pass a bool array"):
        Curves(epochs=[0, 1], series={"loss": [1.0, 0.5]}, missing={"loss": [0, 1]})
    with pytest.raises(KeyError, match="no 'val_loss' curve"):
        c.values("val_loss")


# -- bad input: ReadError, one line, the file, what was found, the fix --------------------------
def _error(source, **kw) -> str:
    with pytest.raises(ReadError) as e:
        read_curves(source, **kw)
    msg = str(e.value)
    assert "\n" not in msg and isinstance(e.value, ValueError)
    return msg


def test_error_no_loss_column(tmp_path):
    msg = _error(write(tmp_path, "runs.csv", "epoch,lr,acc\n0,0.1,0.5\n"))
    assert msg == ("runs.csv: no training or validation loss column (found: epoch, lr, acc); "
                   "name the loss column 'loss' and the validation loss 'val_loss'")
    # a loss under another name (mse, mean_loss, G_loss) is read: the diagnosis picks it or asks (issue 11)
    [c] = read_curves(write(tmp_path, "log.jsonl", '{"epoch": 0, "mse": 0.5}\n'))
    assert c.series["mse"].tolist() == [0.5]
    assert "found: loss_step" not in _error({"acc": [0.5]})


def test_error_empty_file(tmp_path):
    assert _error(write(tmp_path, "empty.csv", "")).startswith("empty.csv: empty file")
    assert _error(write(tmp_path, "blank.csv", "\n\r\n  \n")).startswith("blank.csv: empty file")
    msg = _error(write(tmp_path, "head.csv", "epoch,loss,val_loss\n"))
    assert msg.startswith("head.csv: a header line and no rows (found: epoch, loss, val_loss)")


def test_error_a_text_file_that_is_no_log(tmp_path):
    """A text file with no sign of a log (words, a command's output) is told so in one line naming the
    formats fitwatch reads, not "a header line and no rows ... no epochs yet" (a new user's junk.txt,
    and fitwatch's own output saved to a file, were told their log had no epochs yet)."""
    formats = "; it reads a CSV (a header line such as epoch,loss,val_loss, then a row of numbers per epoch), JSON lines"
    msg = _error(write(tmp_path, "junk.txt", "hello world\nnot a log\n"))
    assert msg.startswith("junk.txt: not a training log fitwatch can read (line 1: 'hello world')" + formats)
    assert "TensorBoard event files" in msg and "no epochs yet" not in msg
    saved = ("fitwatch: in mixed, skipped empty.csv (empty file; expected a CSV with a header line (epoch,loss,val_loss) "
             "or JSON lines)\n\u256d\u2500 h015.json  OVERFITTING \u2500\u256e\n")
    assert _error(write(tmp_path, "o2", saved)).startswith("o2: not a training log fitwatch can read (line 1: ")
    # a header of a log's names, no row yet: the log has no epochs yet
    for name, head in (("h.csv", "epoch,loss\n"), ("t.txt", "Train Loss;Val Loss\n"), ("m.csv", "step,val_acc\n")):
        assert "a header line and no rows" in _error(write(tmp_path, name, head)), head


def test_error_binary_garbage(tmp_path):
    rng = np.random.default_rng(0)
    msg = _error(write(tmp_path, "model.h5", b"\x89HDF\r\n\x1a\n" + rng.bytes(2000)))
    assert msg.startswith("model.h5: binary data, not a text log")
    assert _error(write(tmp_path, "x.csv.gz", b"\x1f\x8b\x08garbage")).startswith("x.csv.gz: a damaged gzip file")


def test_error_numbers_without_a_header(tmp_path):
    msg = _error(write(tmp_path, "raw.csv", "0,0.9,1.0\n1,0.8,0.9\n"))
    assert msg.startswith("raw.csv: line 1: numbers before any header line")


def test_error_bad_json_line(tmp_path):
    msg = _error(write(tmp_path, "log.jsonl", '{"loss": 0.9}\n{"loss": 0.8,,}\n{"loss": 0.7}\n'))
    assert msg.startswith("log.jsonl: line 2: not JSON")


def test_error_json_document_cut_short_says_so(tmp_path):
    """A history dict or trainer_state.json cut off was told to 'write one JSON object per line'."""
    msg = _error(write(tmp_path, "history.json", '{"loss": [1, 0.8, 0.6], "val_loss":'))
    assert msg.startswith("history.json: line 1 column 36: the JSON ends before it is complete")
    assert "cut short" in msg and "per line" not in msg
    state = '{\n  "log_history": [\n    {"epoch": 1.0, "loss": 0.5, "step": 10},\n    {"epoch": 1.0, "eval_lo'
    msg = _error(write(tmp_path, "trainer_state.json", state))
    assert msg.startswith("trainer_state.json: line 4 column 20: the JSON ends before it is complete")
    assert "checkpoint-*" in msg and "history.history" not in msg  # not Keras's advice for the Trainer's file
    # a damaged line of JSON lines, or a document with a closed bracket, keeps its own message
    assert _error(write(tmp_path, "x.json", '{"loss": [1, 0.8]} extra')).endswith("write one JSON object per line")


def test_error_folder_with_nothing_readable(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no readable training log in this folder" in _error(tmp_path / "empty")
    write(tmp_path, "cfg/config.json", '{"lr": 0.1}')
    msg = _error(tmp_path / "cfg")
    assert "no readable training log" in msg and "config.json" in msg and "found: lr" in msg


def test_error_run_not_in_the_store(store_dir):
    import fitwatch

    with fitwatch.Run("baseline", dir=store_dir) as run:
        run.log_epoch(loss=1.0)
    msg = _error("nope", dir=store_dir)
    assert msg.startswith("nope: no such file or folder, and no run named 'nope' in ")
    assert str(store_dir) in msg and "baseline" in msg
    # no store at all
    msg = _error("runs.csv", dir=store_dir.parent / "elsewhere")
    assert msg.startswith("runs.csv: no such file or folder") and "elsewhere" in msg


def test_error_store_file_without_a_loss(store_dir):
    """A store whose runs log no loss is a one-line ReadError that counts them (it was a NameError
    for a moment during the move to packages)."""
    import fitwatch

    with fitwatch.Run("acc-only", dir=store_dir, diagnose=False) as run:
        run.log_epoch(accuracy=0.5)
    msg = _error(str(store_dir / "fitwatch.db"))
    assert "a fitwatch store with no run that has a loss or val_loss (1 runs" in msg


def test_error_unknown_type():
    assert "cannot read training curves from a object" in _error(object())


def test_import_needs_only_numpy():
    p = run_python("import sys, fitwatch.readers; "
                   "print(sorted(m for m in ('pandas', 'tensorboard') if m in sys.modules))")
    assert p.stdout.strip() == "[]"


# -- Hugging Face trainer_state.json ---------------------------------------------------------------
def _trainer_state(tmp_path, rows, name="trainer_state.json"):
    import json

    path = tmp_path / name
    path.write_text(json.dumps({"best_metric": None, "epoch": 3.0, "global_step": 30, "log_history": rows,
                                "logging_steps": 5, "max_steps": 30, "trial_name": None}, indent=2))
    return path


def _hf_rows(evaluate_every_epoch=True):
    rows, step = [], 0
    for epoch in range(3):
        for half in (0.5, 1.0):
            step += 5
            rows.append({"epoch": epoch + half, "grad_norm": 2.0 - epoch, "learning_rate": 1e-4 * (3 - epoch),
                         "loss": 1.0 / (epoch + 1) + (0.1 if half == 0.5 else -0.1), "step": step})
        if evaluate_every_epoch:
            rows.append({"epoch": float(epoch + 1), "eval_accuracy": 0.5 + 0.1 * epoch, "eval_loss": 1.2 - 0.2 * epoch,
                         "eval_runtime": 3.1, "eval_samples_per_second": 100.0, "eval_steps_per_second": 3.3,
                         "step": step})
    rows.append({"epoch": 3.0, "step": step, "total_flos": 1e12, "train_loss": 0.6, "train_runtime": 40.0,
                 "train_samples_per_second": 20.0, "train_steps_per_second": 0.7})
    return rows


def test_hf_trainer_state_one_point_per_epoch_evaluation(tmp_path):
    """Training rows at logging steps (fractional epochs) become the mean of the epoch's rows, the
    evaluation rows val_*; timings and the closing summary are left out."""
    [c] = read_curves(_trainer_state(tmp_path, _hf_rows()))
    assert c.epochs.tolist() == [0, 1, 2]
    assert c.loss.tolist() == pytest.approx([1.0, 0.5, 1 / 3])  # (x + 0.1 + x - 0.1) / 2
    assert c.val_loss.tolist() == pytest.approx([1.2, 1.0, 0.8])
    assert c.series["val_accuracy"].tolist() == pytest.approx([0.5, 0.6, 0.7])
    assert c.series["lr"].tolist() == pytest.approx([1e-4, 2e-4, 3e-4][::-1])
    assert c.series["grad_norm"].tolist() == pytest.approx([2.0, 1.0, 0.0])
    assert not any("runtime" in k or "per_second" in k or "flos" in k for k in c.series)
    # the Trainer counts from 1: the note says how to find its epoch and checkpoint (a new user's trial)
    assert "epochs numbered from 0 (epoch 0 is the Trainer's epoch 1, step 10): add 1 for the Trainer's epoch" \
        in " ".join(c.notes)


def test_hf_trainer_state_evaluated_by_steps_and_without_evaluation(tmp_path):
    rows = [r for r in _hf_rows(False) if "train_runtime" not in r]
    evals = [{"epoch": 0.75, "eval_loss": 0.9, "step": 10}, {"epoch": 1.5, "eval_loss": 0.7, "step": 20},
             {"epoch": 2.25, "eval_loss": 0.65, "step": 25}]
    [c] = read_curves(_trainer_state(tmp_path, sorted(rows + evals, key=lambda r: r["step"])))
    assert c.epochs.tolist() == [0, 1, 2] and c.val_loss.tolist() == [0.9, 0.7, 0.65]
    assert c.loss.tolist() == pytest.approx([1.0, (0.6 + 0.4) / 2, 1 / 3 + 0.1])  # the rows since the last evaluation
    assert any("not at the ends of epochs" in n for n in c.notes)
    assert any("1 training rows logged after the last evaluation" in n for n in c.notes)
    # one point per evaluation: the diagnosis numbers evaluations, not epochs (a Trainer's run of 2 epochs
    # was "best epoch 49 · 50 epochs", its plateau "by epoch 14")
    assert c.unit == "evaluation"
    d = fitwatch.diagnose_curves(c)
    assert d.unit == d.to_dict()["unit"] == "evaluation"
    console = Console(record=True, width=200)
    console.print(d)
    shown = console.export_text()
    assert "3 evaluations" in shown and "evaluations 0–2" in shown and "epochs 0" not in shown
    assert "Train for more epochs" in shown  # a remedy speaks of training epochs, which it means
    assert f"best evaluation {d.best_epoch}" in str(d)
    from fitwatch.show.plot import plot_curves
    fig = plot_curves(c)
    assert fig.axes[-1].get_xlabel() == "evaluation"  # the plots' axis and legend too
    legend = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert f"best evaluation {d.best_epoch}" in legend and not any("epoch" in t for t in legend)
    from fitwatch.show.report import write_report
    page = open(write_report([str(tmp_path / "trainer_state.json")], str(tmp_path / "r.html"))).read()
    assert "3 evaluations judged on val_loss" in page and "best evaluation" in page
    assert "best epoch" not in page and "3 epochs" not in page
    [c] = read_curves(_trainer_state(tmp_path, rows, "no_eval.json"))
    assert c.unit == "epoch"
    assert c.epochs.tolist() == [0, 1, 2] and "val_loss" not in c.series
    assert c.loss.tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert any("no evaluation rows" in n for n in c.notes)


def test_hf_trainer_state_is_diagnosed_from_the_command_line(tmp_path, capsys):
    from fitwatch.cli import main

    path = _trainer_state(tmp_path, _hf_rows())
    assert main(["diagnose", str(path), "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    from fitwatch.diagnosis import VERDICTS

    assert out["epochs"] == 3 and out["monitor"] == "val_loss" and out["verdict"] in VERDICTS


def test_hf_trainer_state_without_losses_is_one_line(tmp_path):
    path = _trainer_state(tmp_path, [{"epoch": 1.0, "step": 3, "train_runtime": 1.0, "train_loss": 0.5}])
    msg = _error(str(path))
    assert "a trainer_state.json whose log_history has no training loss and no evaluation" in msg


# -- the real-log corpus (tests/data/real, docs/labelling.md) ------------------------------------------
def test_the_real_corpus_manifest_is_whole_and_split_by_repository():
    """Every row names a file that is there, a verdict, a repository and commit; the half of every
    row is its repository's, fixed by the repository's name (no repository in both halves)."""
    import csv
    import hashlib

    from conftest import ROOT
    from fitwatch.diagnosis import VERDICTS

    real = ROOT / "tests" / "data" / "real"
    rows = list(csv.DictReader(open(real / "manifest.csv")))
    moved = {r["repo"] for r in csv.DictReader(open(real / "moved_to_tune.csv"))}  # held-out cases looked at
    assert len(rows) >= 40
    for r in rows:
        where = real / r["file"].partition("#")[0]
        assert where.is_file() or any(where.rglob("*tfevents*")), r["file"]  # a TensorBoard run: its folder
        assert r["label"] in VERDICTS and (not r["also"] or r["also"] in VERDICTS), r["id"]
        assert "/" in r["repo"] and len(r["commit"]) == 40 and r["why"], r["id"]
        odd = hashlib.sha256(r["repo"].strip().lower().encode()).digest()[0] % 2
        assert r["half"] == ("tune" if r["repo"] in moved else "heldout" if odd else "tune"), r["id"]


def test_an_epoch_column_that_repeats_without_going_back_is_one_run(tmp_path):
    """Lightning's CSVLogger without a step column: a few batch rows then a validation row per epoch.
    One run with the epoch's mean training values (a real log of this shape was read as 241 runs);
    an epoch counter that goes back still starts a new run."""
    rows = ["train_loss,epoch,val_loss"]
    for e in range(4):
        rows += [f"{1.0 / (e + 1) + d},{e}," for d in (0.1, -0.1)] + [f",{e},{1.2 / (e + 1)}"]
    c = one(write(tmp_path, "metrics.csv", "\n".join(rows) + "\n"))
    assert c.epochs.tolist() == [0, 1, 2, 3]
    assert c.loss.tolist() == pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    assert c.val_loss.tolist() == pytest.approx([1.2, 0.6, 0.4, 0.3])
    assert len(read_curves(write(tmp_path, "two.csv", "epoch,loss\n0,1\n1,0.5\n2,0.4\n0,1.1\n1,0.6\n2,0.5\n"))) == 2


def test_old_lightning_validation_batch_rows_with_their_own_step_counter_are_one_run(tmp_path):
    """Old Lightning versions write each validation batch as a row without an epoch, numbered by a
    step counter of its own (0, 1, 2...): the step going back there is not a new run (a real
    30-epoch metrics.csv was read as 5 runs of 1, 2, 2, 2 and 53 epochs)."""
    head = "lr-SGD,step,train_loss_step,epoch,val_loss_step,val_loss_epoch,train_loss_epoch\n"
    lines = []
    for e in range(6):
        for b in range(3):
            step = 50 * (3 * e + b) + 49
            lines += [f"0.01,{step},,,,,", f",{step},{2.0 - 0.2 * e - 0.01 * b},{e},,,"]
        lines += [f",{b},,,{1.9 - 0.2 * e + 0.01 * b},," for b in range(4)]  # validation batches
        last = 50 * (3 * e + 2) + 49
        lines += [f",{last},,{e},,{1.85 - 0.2 * e},", f",{last},,{e},,,{1.95 - 0.2 * e}"]
    p = tmp_path / "metrics.csv"
    p.write_text(head + "\n".join(lines) + "\n")
    (run,) = read_curves(p)
    assert run.epochs.tolist() == list(range(6))
    assert run.series["val_loss"] == pytest.approx([1.85 - 0.2 * e for e in range(6)])
    assert run.series["loss"] == pytest.approx([1.95 - 0.2 * e for e in range(6)])


def test_a_keras_history_saved_as_python_text_is_read_as_its_dict(tmp_path):
    """People save ``str(history.history)`` (single quotes, numpy scalars, nan): five real logs of
    the corpus were refused as 'not JSON'. Read as literals only: nothing in the file is run."""
    p = tmp_path / "history.txt"
    p.write_text("{'loss': [np.float64(0.9), np.float64(0.7), nan, 0.5], 'val_loss': [1.0, 0.8, 0.75, inf],\n"
                 " 'accuracy': [0.5, 0.6, 0.7, 0.8]}\n")
    (run,) = read_curves(p)
    assert run.epochs.tolist() == [0, 1, 2, 3]
    assert run.series["loss"][:2].tolist() == [0.9, 0.7] and math.isnan(run.series["loss"][2])
    assert run.series["val_loss"][-1] == math.inf
    evil = tmp_path / "evil.txt"
    marker = tmp_path / "ran"
    evil.write_text("{'loss': [__import__('pathlib').Path(%r).touch(), 1.0]}" % str(marker))
    with pytest.raises(ReadError) as e:
        read_curves(evil)
    assert "evil.txt" in str(e.value) and not marker.exists()


def test_a_flat_accuracy_does_not_join_two_runs_and_a_new_models_validation_loss_contradicts_a_resume(tmp_path):
    """Two real logs: runs appended to one CSVLogger file whose accuracy sat at the majority class
    (0.8185) in both, so the accuracy 'took up where it left off' and joined them; and a run whose
    training loss happened to start near where the last one ended while its validation loss started
    far from it (0.98 -> 1.60): a new model, not a resume."""
    flat = "epoch,accuracy,loss,val_loss\n" + "".join(
        f"{e},0.8185,{v},{v}\n" for run in ([1.14, 0.07, 0.05, 0.05, 0.049], [1.03, 0.06, 0.05, 0.049, 0.048])
        for e, v in enumerate(run))
    assert [len(c.epochs) for c in read_curves(write(tmp_path, "flat.csv", flat))] == [5, 5]
    rows = [(1.28, 1.07), (1.12, 1.04), (1.07, 1.00), (1.03, 0.98), (1.06, 1.60), (0.73, 1.37), (0.67, 0.67)]
    text = "epoch,loss,val_loss\n" + "".join(f"{e if e < 4 else e - 4},{lo},{va}\n" for e, (lo, va) in enumerate(rows))
    assert [len(c.epochs) for c in read_curves(write(tmp_path, "new.csv", text))] == [4, 3]
    resumed = text.replace("1.6,", "0.99,").replace(",1.6\n", ",0.99\n")  # the same with validation taking up
    assert [len(c.epochs) for c in read_curves(write(tmp_path, "resumed.csv", resumed))] == [7]


def test_hf_closing_evaluate_at_the_last_step_is_not_another_point(tmp_path):
    """``trainer.evaluate()`` after ``train()`` logs one more evaluation at the last evaluation's
    step: it was read as an extra epoch without a training loss."""
    rows = []
    for e in range(1, 5):
        rows += [{"epoch": e - 0.5, "step": 10 * e - 5, "loss": 1.0 / e}, {"epoch": float(e), "step": 10 * e, "loss": 0.9 / e},
                 {"epoch": float(e), "step": 10 * e, "eval_loss": 1.1 / e, "eval_runtime": 1.0}]
    rows.append({"epoch": 4.0, "step": 40, "eval_loss": 1.1 / 4, "eval_runtime": 1.0})  # trainer.evaluate()
    path = _trainer_state(tmp_path, rows)
    (run,) = read_curves(path)
    assert run.epochs.tolist() == [0, 1, 2, 3] and not np.isnan(run.series["loss"]).any()
    assert any("trainer.evaluate()" in n for n in run.notes)


def test_a_printout_of_one_line_per_epoch_is_read(tmp_path):
    """A custom callback's or a hand-written loop's printout, one line per epoch with the names as
    printed (a real Keras log of this shape was taken for a CSV and refused)."""
    p = tmp_path / "train.txt"
    p.write_text("Epoch 1 - loss: 0.3178, accuracy: 0.8922, val_loss: 1.3629, val_accuracy: 0.5776\n"
                 "Epoch 2 - loss: 0.1370, accuracy: 0.9494, val_loss: 0.8673, val_accuracy: 0.5901\n"
                 "Epoch 3 - loss: 0.0781, accuracy: 0.9716, val_loss: 1.0282, val_accuracy: 0.4803\n")
    (run,) = read_curves(p)
    assert run.epochs.tolist() == [1, 2, 3] and run.series["val_loss"].tolist() == [1.3629, 0.8673, 1.0282]
    q = tmp_path / "torch.log"
    q.write_text("Starting\nEpoch [1/3] | Train Loss: 0.91 | Val Loss: 1.02 | Val Acc: 55.0%\nsaved\n"
                 "Epoch [2/3] | Train Loss: 0.71 | Val Loss: 0.82 | Val Acc: 65.0%\n"
                 "Epoch [3/3] | Train Loss: 0.61 | Val Loss: 0.80 | Val Acc: 70.0%\n")
    (run,) = read_curves(q)
    assert run.series["loss"].tolist() == [0.91, 0.71, 0.61] and run.series["val_accuracy"].tolist() == [0.55, 0.65, 0.7]


def test_json_lines_of_runs_read_directly_give_what_the_full_reading_gives(tmp_path):
    """The shared-curves format (one run per line): lines of a key set already read as plain curves
    are built directly (read time halved on the 14,000 shared curves); every line must come out as
    reading it alone gives it, including the lines that do not fit the plan (an accuracy in
    percent, text, lists of two lengths, a key that is a list only here, another x axis)."""
    from fitwatch.diagnosis.readers.json_log import _run_from_json

    rng = np.random.default_rng(0)

    def run(i, **more):
        n = 5 + i % 3
        line = {"id": f"r{i}", "x": "checkpoint", "hp": {"lr": 0.1}, "loss": rng.random(n).round(4).tolist(),
                "val_loss": rng.random(n).round(4).tolist(), "accuracy": rng.random(n).round(3).tolist()}
        line["val_loss"][1] = None  # JSON's NaN
        return {**line, **more}

    lines = [run(i) for i in range(6)]
    lines += [run(6, accuracy=[50.0, 60.0, 70.0, 80.0, 90.0]), run(7, loss=["a", 1, 2, 3, 4, 5, 6]),
              run(8, val_loss=[0.5, 0.4]), run(9, hp=[1, 2, 3, 4, 5, 6, 7, 8]), run(10, x="step"), run(11)]
    path = write(tmp_path, "runs.jsonl", "\n".join(json.dumps(o) for o in lines) + "\n")
    got = read_curves(path)
    assert len(got) == len(lines)
    for c, o in zip(got, lines):
        (_, ref), = _run_from_json(o, "runs.jsonl", str(path), 2)
        assert c.name == ref.name and c.notes == ref.notes and c.epochs.tolist() == ref.epochs.tolist(), o["id"]
        assert sorted(c.series) == sorted(ref.series) and c.missing.keys() == ref.missing.keys(), o["id"]
        for k in c.series:
            np.testing.assert_array_equal(c.series[k], ref.series[k], err_msg=f"{o['id']} {k}")
    assert got[6].series["accuracy"].tolist() == [0.5, 0.6, 0.7, 0.8, 0.9] and "divided by 100" in " ".join(got[6].notes)
    assert "hp" in got[9].series and np.isnan(got[0].series["val_loss"][1])


def test_a_trainer_log_history_saved_as_csv_is_read_as_the_trainer_state_is(tmp_path):
    """``pd.DataFrame(trainer.state.log_history).to_csv()``: training rows (loss, grad_norm,
    learning_rate, a fractional epoch, step), evaluation rows (eval_*) and a closing summary, no row
    holding both. Collection round 11's k1409 was read as 1,643 'epochs' with no epoch holding both
    curves ("too few epochs"); now one point per evaluation, as trainer_state.json is read."""
    pd = pytest.importorskip("pandas")
    from fitwatch.diagnosis.readers.log_history import from_log_history

    history, step = [], 0
    for e in range(1, 5):
        for k in range(1, 5):
            step += 10
            history.append({"loss": 1.0 / e + 0.01 * k, "grad_norm": 1.0, "learning_rate": 1e-4 / e,
                            "epoch": e - 1 + k / 4, "step": step})
        history.append({"eval_loss": 1.2 / e, "eval_accuracy": 0.5 + 0.1 * e, "eval_runtime": 2.0, "epoch": float(e),
                        "step": step})
    history.append({"train_runtime": 60.0, "train_loss": 0.5, "total_flos": 0.0, "epoch": 4.0, "step": step})
    path = tmp_path / "log_history.csv"
    pd.DataFrame(history).to_csv(path, index=False)
    (run,) = read_curves(path)
    [(_, ref)] = from_log_history(history, "x", "x", what="x", fix="x")
    assert run.epochs.tolist() == ref.epochs.tolist() == [0, 1, 2, 3]
    assert run.series["loss"] == pytest.approx(ref.series["loss"]) and run.series["val_loss"] == pytest.approx([1.2, 0.6, 0.4, 0.3])
    assert run.series["val_accuracy"] == pytest.approx([0.6, 0.7, 0.8, 0.9])
    assert any("log_history (saved as CSV)" in n for n in run.notes)
    assert fitwatch.diagnose(path).monitor == "val_loss"


def test_tables_in_a_text_report_are_read_as_runs(tmp_path):
    """A report of experiments: a title, configuration lines, then per experiment a table whose
    names hold single spaces and are set apart by two or more ("Epoch    Loss      Validation
    Accuracy"), and a summary (collection round 12: 'not a training log'). Each table is a run."""
    text = ("CNN Cat Dog Classification - Training Experiments\n\n"
            "Experiment 1: Baseline CNN\n- Learning rate: 0.001\n- Dropout: None\n\n"
            "Epoch    Loss      Validation Accuracy\n"
            "1        0.6359    0.7056\n2        0.5212    0.7498\n3        0.4257    0.7474\n\n"
            "Best Validation Accuracy: 74.98%\nBest Epoch: 2\n\n"
            "Experiment 2: CNN + Dropout\n- Dropout: 0.5\n\n"
            "Epoch  Loss    Validation Accuracy\n1      0.6563  0.6858\n2      0.5634  0.7420\n3      0.5170  0.7570\n")
    first, second = read_curves(write(tmp_path, "training_log.txt", text))
    assert first.epochs.tolist() == [1, 2, 3] and first.series["val_accuracy"].tolist() == [0.7056, 0.7498, 0.7474]
    assert second.series["loss"].tolist() == [0.6563, 0.5634, 0.5170] and first.name.endswith("#1")
    assert any("a table in a text report (lines 7-10)" in n for n in first.notes), first.notes
    assert fitwatch.diagnose(first).monitor == "val_accuracy"


def test_short_split_prefixes_and_ep_printouts_are_read(tmp_path):
    """A sixth trial's hand-written loops: "[ep 01/40] trn_loss=1.8887 trn_acc=44.0% | vld_loss=..."
    (taken for JSON by its "[" and refused), "ep 01  tr_loss 1.8887  va_loss 1.4333" (refused as a CSV
    with numbers before its header) and "Epoch 1 tr_loss .. va_loss .." (va_loss judged as a training
    curve: good_fit where the same numbers from TensorBoard were overfitting)."""
    val = [1.4333, 0.8218, 0.6, 0.5, 0.45]
    texts = {
        "a.log": "".join(f"[ep {e + 1:02d}/40] trn_loss={1.9 / (e + 1):.4f} trn_acc={44 + e}.0% | vld_loss={v} "
                         f"vld_acc=75.6% lr=5.00e-03 (0.1s)\n" for e, v in enumerate(val)),
        "b.log": "Starting training on cpu\n" + "".join(f"ep {e + 1:02d}  tr_loss {1.9 / (e + 1):.4f}  va_loss {v}\n"
                                                       for e, v in enumerate(val)),
        "c.log": "".join(f"Epoch {e + 1} tr_loss {1.9 / (e + 1):.4f} va_loss {v} va_acc 0.7560\n" for e, v in enumerate(val)),
    }
    for name, text in texts.items():
        (run,) = read_curves(write(tmp_path, name, text))
        assert run.epochs.tolist() == [1, 2, 3, 4, 5], name
        assert run.series["val_loss"].tolist() == val and "loss" in run.series, (name, sorted(run.series))


def test_tensorboard_per_batch_tags_at_global_steps_stay_out_of_the_epochs(tmp_path):
    """A sixth trial: add_scalar("batch/loss", loss, global_step) for 8 batches an epoch beside the
    epoch scalars at steps 0-39 made a 'batch_loss' curve whose epoch k was batch k (320 'epochs')."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "loop"))
    for e in range(10):
        for b in range(8):
            w.add_scalar("batch/loss", 1.0 / (e + 1) + 0.01 * b, e * 8 + b)
        w.add_scalar("loss", 1.0 / (e + 1), e)
        w.add_scalar("val_loss", 1.1 / (e + 1), e)
    w.close()
    (run,) = read_curves(tmp_path / "runs" / "loop")
    assert run.epochs.tolist() == list(range(10)) and sorted(run.series) == ["loss", "val_loss"], sorted(run.series)


def test_a_trainer_logging_window_across_epochs_is_said():
    """A sixth trial: logging_steps=3 with 7 steps an epoch; each logged loss averages 3 steps, some
    of two epochs, and an epoch's mean was 55 % off its own steps' with nothing said."""
    from fitwatch.diagnosis.readers.log_history import from_log_history

    def history(window, per_epoch, epochs=4):
        rows = [{"loss": 1.0 / s, "epoch": s / per_epoch, "step": s} for s in range(window, per_epoch * epochs + 1, window)]
        rows += [{"eval_loss": 1.0 / e, "epoch": float(e), "step": e * per_epoch} for e in range(1, epochs + 1)]
        return sorted(rows, key=lambda r: (r["step"], "eval_loss" in r))

    [(_, c)] = from_log_history(history(3, 7), "x", "x", what="x", fix="x")
    assert any("logging_steps=3 does not divide 7" in n for n in c.notes), c.notes
    [(_, c)] = from_log_history(history(5, 10), "x", "x", what="x", fix="x")
    assert not any("logging_steps" in n for n in c.notes), c.notes


def test_chinese_column_names_are_read(tmp_path):
    """A Lightning metrics.csv logged with Chinese names (collection round 11: 训练 train, 验证
    validation, 测试 test, 损失 loss, 总损失 total loss, 准确率 accuracy) was refused: "no training or
    validation loss column". The test columns stay test series beside the validation ones."""
    rows = ["epoch,step,测试/准确率,训练/准确率,训练/损失,验证/准确率,验证/总损失,验证/损失"]
    for e in range(4):
        rows.append(f"{e},{10 * e + 5},,0.{5 + e},{1 - 0.1 * e},,,")
        rows.append(f"{e},{10 * e + 9},,,,0.{4 + e},{1.3 - 0.1 * e},{1.2 - 0.1 * e}")
    rows.append("4,40,0.8,,,,,")  # trainer.test() after fit
    (run,) = read_curves(write(tmp_path, "metrics.csv", "\n".join(rows) + "\n"))
    assert run.series["loss"] == pytest.approx([1.0, 0.9, 0.8, 0.7])
    assert run.series["val_loss"] == pytest.approx([1.2, 1.1, 1.0, 0.9])
    assert run.series["val_accuracy"] == pytest.approx([0.4, 0.5, 0.6, 0.7]) and "val_total_loss" in run.series
    assert "test_accuracy" in run.series and run.epochs.tolist() == [0, 1, 2, 3]
    d = fitwatch.diagnose(run, monitor="验证/损失")  # --monitor as written in the file
    assert d.monitor == "val_loss"


def test_a_printout_without_colons_is_read(tmp_path):
    """``epoch 3 | lr 0.005 | train_loss 0.41 | val_loss 0.52`` and ``epoch 3 train_loss 0.41
    val_loss 0.52``: names and numbers side by side (a fourth trial's loop printed both; the first
    was refused, the second told its first line held numbers before any CSV header)."""
    loss, val = [0.98, 0.96, 0.95, 0.97], [0.97, 0.96, 0.95, 0.99]
    piped = "".join(f"epoch {e:3d} | lr 0.005 | train_loss {a} | val_loss {b}\n" for e, (a, b) in enumerate(zip(loss, val), 1))
    spaced = "".join(f"epoch {e:3d} train_loss {a} val_loss {b}\n" for e, (a, b) in enumerate(zip(loss, val), 1))
    for name, text in (("piped.txt", piped), ("spaced.log", spaced)):
        (run,) = read_curves(write(tmp_path, name, text))
        assert run.epochs.tolist() == [1, 2, 3, 4], name
        assert run.series["loss"].tolist() == loss and run.series["val_loss"].tolist() == val, name
    (run,) = read_curves(tmp_path / "piped.txt")
    assert run.series["lr"].tolist() == [0.005] * 4


def test_a_tqdm_bar_per_epoch_is_read_by_its_last_drawing(tmp_path):
    """tqdm's ``Epoch 3/30: 100%|...| 43/43 [..., loss=0.41, val_loss=0.52]`` redrawn with ``\\r`` at
    every batch: the epoch's last drawing holds its values; its description is no metric (a fourth
    trial's log was shown with 30 columns epoch_1_30 ... epoch_30_30, each 100)."""
    from tqdm import tqdm

    path = tmp_path / "bars.txt"
    with path.open("w") as log:
        for ep in range(1, 6):
            bar = tqdm(total=8, desc=f"Epoch {ep}/5", file=log, mininterval=0)
            for b in range(8):
                bar.update(1)
                bar.set_postfix(loss=f"{1.0 / ep + 0.01 * b:.4f}")
            bar.set_postfix(loss=f"{1.0 / ep:.4f}", val_loss=f"{1.1 / ep:.4f}", val_acc=f"{0.5 + 0.1 * ep:.4f}")
            bar.close()
    (run,) = read_curves(path)
    assert sorted(run.series) == ["loss", "val_accuracy", "val_loss"], sorted(run.series)
    assert run.epochs.tolist() == [1, 2, 3, 4, 5]
    assert run.series["val_loss"].tolist() == [round(1.1 / e, 4) for e in range(1, 6)]
    assert run.series["loss"].tolist() == [round(1.0 / e, 4) for e in range(1, 6)]


def test_a_log_of_metrics_without_a_loss_is_read_and_judged_on_its_validation_score(tmp_path):
    """A JSON history of accuracies only (train_acc, val_acc in percent): read; judged on val_acc, with
    a note (it asked for --monitor before: a validation score and no validation loss is judged on the
    score, docs/diagnosis.md); a log with no validation curve at all still asks, in one line."""
    import fitwatch

    p = tmp_path / "history.json"
    acc = [60 + 30 * (1 - math.exp(-e / 3)) for e in range(12)]
    p.write_text(json.dumps({"epoch": list(range(1, 13)), "train_acc": acc, "val_acc": [a - 5 for a in acc]}))
    (run,) = read_curves(p)
    assert set(run.series) == {"accuracy", "val_accuracy"}
    d = fitwatch.diagnose(str(p))
    assert d.monitor == "val_accuracy" and any(n.startswith("no validation loss: judged val_accuracy") for n in d.notes)
    assert fitwatch.diagnose(str(p), monitor="val_acc").monitor == "val_accuracy"
    p.write_text(json.dumps({"epoch": list(range(1, 13)), "train_acc": acc}))
    with pytest.raises((KeyError, ValueError)) as e:  # no curve to judge: one line naming what is there
        fitwatch.diagnose(str(p))
    assert "train_acc" in str(e.value) and "\n" not in str(e.value)


def test_a_run_resumed_from_an_earlier_checkpoint_replaces_the_epochs_it_redid(tmp_path):
    """A Keras printout whose counter goes back from 79 to 73 (the run restarted from the checkpoint
    of epoch 72) and on to 100: 100 epochs, the redone ones once (it was read as 129 epochs)."""
    lines = []
    for e in list(range(1, 80)) + list(range(73, 101)):
        lines += [f"Epoch {e}/100", f"10/10 - 1s - loss: {1.0 / e:.5f} - val_loss: {1.1 / e:.5f}"]
    p = tmp_path / "train.log"
    p.write_text("\n".join(lines) + "\n")
    (run,) = read_curves(p)
    assert run.epochs.tolist() == list(range(1, 101))
    assert run.series["loss"] == pytest.approx([1.0 / e for e in range(1, 101)], abs=1e-5)
    assert any("goes back to 73" in n and "7 rows it redid" in n for n in run.notes)


def test_a_history_dict_written_into_a_log_line_is_read(tmp_path):
    """``logger.info(history.history)``: the dict is the last of a log's lines, after other output."""
    p = tmp_path / "train.log"
    p.write_text("2018-09-15 22:55:41,311 -app-INFO-cfg: target_size : [299, 299]\n"
                 "2018-09-16 19:41:41,939 -app-INFO-done:{'val_loss': [3.30, 3.47, 4.00], 'loss': [2.1, 1.5, 1.2]}\n")
    (run,) = read_curves(p)
    assert run.series["val_loss"].tolist() == [3.30, 3.47, 4.00] and run.series["loss"].tolist() == [2.1, 1.5, 1.2]
    assert any("history dict on line 2" in n for n in run.notes)
    bad = tmp_path / "other.log"
    bad.write_text("12:00 start\n12:01 {'lr': 'cosine'}\n")
    with pytest.raises(ReadError):
        read_curves(bad)


def test_a_printout_of_phase_sections_is_read(tmp_path):
    """Two real printouts: 'Training: loss = .. | Val: loss = ..' lines without an epoch number
    (rows numbered from 0), and '[train] epoch:N ..' / '[val] epoch:N ..' lines, one row per epoch."""
    p = tmp_path / "a.txt"
    p.write_text("".join(f"Training: loss = {1 / (e + 1):.5f}, acc = 0.5 | Val: loss = {1.1 / (e + 1):.5f}, acc = 0.4\n"
                         for e in range(4)))
    (run,) = read_curves(p)
    assert run.epochs.tolist() == [0, 1, 2, 3] and run.series["val_loss"][0] == 1.1
    assert set(run.series) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    q = tmp_path / "b.txt"
    q.write_text("Total Epoch:3 Image_size:(256, 256)\n" + "".join(
        f"[train] epoch:{e} lr:0.01 loss:{0.9 - 0.1 * e:.2f}\n[val] epoch:{e} miou:{0.5 + 0.1 * e:.2f}\n" for e in range(1, 4)))
    (run,) = read_curves(q)
    assert run.epochs.tolist() == [1, 2, 3] and run.series["val_miou"].tolist() == [0.6, 0.7, 0.8]
    assert run.series["loss"].tolist() == [0.8, 0.7, 0.6]


def test_tensorboard_tags_logged_one_interval_apart_are_paired_by_order(tmp_path):
    """A loop that logs the training loss at the first step of each epoch and the validation loss
    after its last: steps 0, 115, 230... and 115, 230, 345... Each is once per epoch, so they pair
    by order (they were read as one epoch more, training and validation one epoch apart)."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "seg"))
    for e in range(5):
        w.add_scalar("Train loss", 1.0 / (e + 1), e * 115)
        w.add_scalar("Validation loss", 1.2 / (e + 1), (e + 1) * 115)
    w.close()
    (run,) = read_curves(tmp_path / "runs" / "seg")
    assert run.epochs.tolist() == [0, 1, 2, 3, 4]
    assert run.series["loss"] == pytest.approx([1.0 / (e + 1) for e in range(5)])
    assert run.series["val_loss"] == pytest.approx([1.2 / (e + 1) for e in range(5)])
    assert any("paired by their order" in n for n in run.notes)


def test_tensorboard_training_per_step_beside_validation_per_epoch_at_the_global_step(tmp_path):
    """PyTorch's TensorBoard tutorial: the training loss at every batch's global step, the validation
    loss and accuracy after each epoch at the same global step. A fourth trial's run (batch size 1)
    was read as 12,000 'epochs', each validation value beside one batch's loss; now one point per
    validation, the training loss the mean of the steps since the one before, the steps of an epoch
    not yet validated left out."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "tut"))
    step, per_epoch = 0, 50
    for e in range(4):
        for b in range(per_epoch):
            step += 1
            w.add_scalar("Loss/train", 1.0 / (e + 1) + (0.2 if b % 2 else -0.2), step)
        w.add_scalar("Loss/val", 1.1 / (e + 1), step)
        w.add_scalar("Accuracy/val", 0.5 + 0.1 * e, step)
    for b in range(7):  # the fifth epoch, cut short before its validation
        w.add_scalar("Loss/train", 0.1, step + b + 1)
    w.close()
    (run,) = read_curves(tmp_path / "runs" / "tut")
    assert run.epochs.tolist() == [0, 1, 2, 3]
    assert run.series["loss"] == pytest.approx([1.0 / (e + 1) for e in range(4)])
    assert run.series["val_loss"] == pytest.approx([1.1 / (e + 1) for e in range(4)])
    assert run.series["val_accuracy"] == pytest.approx([0.5, 0.6, 0.7, 0.8])
    note = next(n for n in run.notes if "one point per validation" in n)
    assert "every 50 steps" in note and "7 steps after the last validation left out" in note, note
    assert not any("steps read as epochs" in n for n in run.notes)


def test_tensorboard_validation_at_the_next_epochs_first_step_closes_the_epoch_before_it(tmp_path):
    """A loop that logs, then counts (``add_scalar(.., step); step += 1``) puts each validation at the
    global step of the next epoch's first batch. A sixth trial's epochs were read one batch off: each
    epoch's mean took the next epoch's first batch (the first epoch both). Every epoch now holds its own
    batches, whichever way the loop counts; so does a loop that logs every 5th batch."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    for every in (1, 5):
        w = SummaryWriter(str(tmp_path / f"every{every}"))
        step, per_epoch = 0, 20
        for e in range(5):
            for b in range(per_epoch):
                if b % every == 0:
                    w.add_scalar("Loss/train", 10.0 ** -e + (0.2 if b % (2 * every) else -0.2), step)
                step += 1
            w.add_scalar("Loss/val", 1.1 * 10.0 ** -e, step)
            w.add_scalar("Accuracy/train", 0.5 + 0.1 * e, step)  # an epoch's own scalar at the validation's step
        w.close()
        (run,) = read_curves(tmp_path / f"every{every}")
        assert run.epochs.tolist() == [0, 1, 2, 3, 4]
        assert run.series["loss"] == pytest.approx([10.0 ** -e for e in range(5)]), every
        assert run.series["val_loss"] == pytest.approx([1.1 * 10.0 ** -e for e in range(5)])
        assert run.series["accuracy"] == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])  # not moved an epoch on (an attack)


def test_lightning_validate_or_test_after_fit_is_not_an_epoch(tmp_path):
    """``trainer.validate()``/``trainer.test()`` after ``fit`` logs at the epoch after the last one
    trained, with no training value: two real metrics.csv files were read as one epoch more, whose
    missing training loss and lone validation value the diagnosis then judged."""
    head = "epoch,step,test_loss,train_loss,val_loss\n"
    rows = [f"{e},{10 * e + 9},,{1.0 / (e + 1)},\n{e},{10 * e + 9},,,{1.2 / (e + 1)}" for e in range(5)]
    after = "5,50,,,0.3\n5,50,0.31,,\n"
    p = tmp_path / "metrics.csv"
    p.write_text(head + "\n".join(rows) + "\n" + after)
    (run,) = read_curves(p)
    assert run.epochs.tolist() == [0, 1, 2, 3, 4]
    assert run.val_loss.tolist() == pytest.approx([1.2 / (e + 1) for e in range(5)])
    assert any("evaluation after training" in n and "epoch 5" in n for n in run.notes)
    # a last epoch that trained keeps its row
    p.write_text(head + "\n".join(rows) + "\n5,59,,0.15,\n5,59,,,0.2\n")
    assert read_curves(p)[0].epochs.tolist() == [0, 1, 2, 3, 4, 5]


# -- round 5's tune-half files (k620, h518, k702, k618, l601, k711, h512, t403-t405, k609, l511) --------
def test_a_keras_1_printout_with_headers_written_as_comments_is_read(tmp_path):
    """Keras 1's printout with its epoch headers written ``# Epoch 3/20`` and a checkpoint message
    printed into the progress line (``... - acc: 0.8120Epoch 00000: val_loss improved ...``): it was
    refused as a CSV without a header."""
    lines = []
    for e in range(1, 5):
        loss, val = 1.0 / e, 1.1 / e
        lines += [f"# Epoch {e}/4",
                  f"320/336 [============================>.] - ETA: 0s - loss: {loss + 0.01:.4f} - acc: 0.{80 + e}"
                  f"Epoch {e - 1:05d}: val_loss improved from inf to {val:.5f}, saving model to ./best_checkpoint",
                  f"336/336 [==============================] - 3s - loss: {loss:.4f} - acc: 0.{80 + e} - "
                  f"val_loss: {val:.4f} - val_acc: 0.{90 + e}"]
    (run,) = read_curves(write(tmp_path, "train.txt", "\n".join(lines) + "\n"))
    assert run.epochs.tolist() == [1, 2, 3, 4]
    assert run.loss.tolist() == pytest.approx([1.0 / e for e in range(1, 5)], abs=1e-4)
    assert run.val_loss.tolist() == pytest.approx([1.1 / e for e in range(1, 5)], abs=1e-4)
    assert run.series["val_accuracy"].tolist() == [0.91, 0.92, 0.93, 0.94]


def test_detr_log_txt_lists_are_left_out_and_its_losses_read(tmp_path):
    """DETR's ``outputs/log.txt``: one JSON object per epoch, ``train_loss`` and ``test_loss`` beside
    a list-valued ``test_coco_eval_bbox``; it was taken for one run per line and refused."""
    objs = [{"train_lr": 1e-4, "train_loss": 4.0 - e, "test_loss": 3.0 - 0.5 * e, "test_coco_eval_bbox": [0.1 * e] * 12,
             "epoch": e, "n_parameters": 41279495} for e in range(3)]
    objs += [{"train_lr": 1e-4, "train_loss": 4.1 - e, "test_loss": 2.9 - 0.3 * e, "test_coco_eval_bbox": [0.0] * 12,
              "epoch": e, "n_parameters": 41279495} for e in range(2)]  # a second run appended
    runs = read_curves(write(tmp_path, "log.txt", "".join(json.dumps(o) + "\n" for o in objs)))
    assert [len(c) for c in runs] == [3, 2]
    assert runs[0].loss.tolist() == [4.0, 3.0, 2.0] and runs[0].val_loss.tolist() == [3.0, 2.5, 2.0]
    assert runs[1].loss.tolist() == pytest.approx([4.1, 3.1]) and "test_coco_eval_bbox" not in str(list(runs[1].series))
    assert any("test_coco_eval_bbox" in n and "list" in n for n in runs[0].notes)
    # a line of lists is still a run (the shared-curves format)
    (c,) = read_curves(write(tmp_path, "curves.jsonl", '{"id": "a", "loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}\n'))
    assert c.name == "a" and c.val_loss.tolist() == [1.1, 0.7]


def test_a_new_run_is_not_joined_where_the_validation_loss_or_the_accuracy_contradicts_a_resume(tmp_path):
    """Two real CSVLogger files of runs appended: a run whose training loss started near where the
    last one ended, (a) its validation loss far from where it ended, yet joined by the accuracy
    rule (meant for a loss that jumped, not one that took up); (b) its accuracy far below where it
    ended while its loss fell further: new models, not resumes."""
    head = "epoch,accuracy,loss,val_accuracy,val_loss\n"
    first = [(0.39, 3.0, 0.61, 2.2), (0.66, 1.7, 0.69, 1.6), (0.72, 1.5, 0.74, 1.3), (0.75, 1.3, 0.76, 1.15),
             (0.79, 0.87, 0.79, 0.91)]
    second = [(0.70, 1.32, 0.92, 0.20), (0.93, 0.25, 0.95, 0.15), (0.95, 0.17, 0.95, 0.17)]
    text = head + "".join(f"{e},{a},{lo},{va},{vl}\n" for part in (first, second) for e, (a, lo, va, vl) in enumerate(part))
    assert [len(c) for c in read_curves(write(tmp_path, "a.csv", text))] == [5, 3]
    losses = [10.1, 9.2, 8.8, 8.3, 7.9, 7.5, 7.1, 6.8, 6.4, 6.2]
    accs = [0.62, 0.87, 0.89, 0.95, 0.96, 0.96, 0.94, 0.96, 0.97, 0.96]

    def appended(acc0):
        rows = [(a, lo, 0.5, lo + 0.9) for a, lo in zip(accs, losses)]
        rows2 = [(acc0, 5.4, 0.5, 5.9), (0.91, 4.8, 0.5, 5.7), (0.97, 4.6, 0.5, 5.5)]
        return head + "".join(f"{e},{a},{lo},{va},{vl}\n" for part in (rows, rows2) for e, (a, lo, va, vl) in enumerate(part))

    assert [len(c) for c in read_curves(write(tmp_path, "b.csv", appended(0.71)))] == [10, 3]
    assert [len(c) for c in read_curves(write(tmp_path, "c.csv", appended(0.95)))] == [13]  # it takes up: resumed


@pytest.mark.parametrize("name, key", [
    ("treino_loss", "loss"), ("loss_treino", "loss"), ("treinamento_loss", "loss"), ("entrenamiento_loss", "loss"),
    ("validacao_loss", "val_loss"), ("validação_loss", "val_loss"), ("validacion_loss", "val_loss"),
    ("validación_loss", "val_loss"), ("validate_loss", "val_loss"), ("perda", "loss"), ("pérdida", "loss"),
    ("perda_validacao", "val_loss"), ("Pérdida validación", "val_loss"), ("treino_acuracia", "accuracy"),
    ("validação_acurácia", "val_accuracy")])
def test_portuguese_and_spanish_names(tmp_path, name, key):
    """Column names in Portuguese or Spanish (a real metrics.csv: epoca, train_loss, validate_loss; a
    real history: treino_loss, validacao_loss): mapped as their English spellings are."""
    from fitwatch.diagnosis.curves import canonical_name

    assert canonical_name(name) == key
    loss = "" if key.endswith("loss") else ",loss"  # an accuracy beside a loss
    (c,) = read_curves(write(tmp_path, "log.csv", f"epoca,{name}{loss}\n1,0.9{loss and ',1.0'}\n2,0.8{loss and ',0.9'}\n"))
    assert c.epochs.tolist() == [1, 2] and list(c.series)[0] == key and c.series[key].tolist() == [0.9, 0.8]


@pytest.mark.parametrize("epoch", ["epoca", "época", "Época", "epocas"])
def test_the_epoch_column_named_in_portuguese_or_spanish(tmp_path, epoch):
    (c,) = read_curves(write(tmp_path, "log.csv", f"{epoch},train_loss,validate_loss\n3,0.9,1.0\n4,0.8,0.9\n"))
    assert c.epochs.tolist() == [3, 4] and set(c.series) == {"loss", "val_loss"}


def test_llama_factory_trainer_log_is_read_as_a_trainer_state(tmp_path):
    """LLaMA-Factory's ``trainer_log.jsonl``: a row per logging step (current_steps, a fractional
    epoch, its bookkeeping), eval_loss in the rows of an evaluation; it was read line by line, one
    "epoch" a row."""
    rows, total = [], 40
    for step in range(5, total + 1, 5):
        rows.append({"current_steps": step, "total_steps": total, "loss": 2.0 - step / 40, "lr": 1e-4,
                     "epoch": step / 20, "percentage": 100 * step / total, "elapsed_time": "0:00:32",
                     "remaining_time": "0:10:00"})
        if step % 20 == 0:
            rows.append({"current_steps": step, "total_steps": total, "eval_loss": 1.9 - step / 40,
                         "epoch": step / 20, "percentage": 100 * step / total, "elapsed_time": "0:01:00",
                         "remaining_time": "0:09:00"})
    rows.append({"current_steps": total, "total_steps": total, "epoch": 2.0, "percentage": 100.0,
                 "elapsed_time": "0:02:00", "remaining_time": "0:00:00"})
    (c,) = read_curves(write(tmp_path, "trainer_log.jsonl", "".join(json.dumps(r) + "\n" for r in rows)))
    assert c.epochs.tolist() == [0, 1]  # evaluated at the ends of epochs 1.0 and 2.0
    assert c.loss.tolist() == pytest.approx([2.0 - 12.5 / 40, 2.0 - 32.5 / 40])  # the mean of each epoch's rows
    assert c.val_loss.tolist() == pytest.approx([1.4, 0.9])
    assert set(c.series) == {"loss", "lr", "val_loss"}
    assert any("LLaMA-Factory" in n for n in c.notes)


def test_tensorboard_of_a_hugging_face_trainer_is_read_as_its_trainer_state(tmp_path):
    """The Trainer's TensorBoard scalars (train/loss, eval/loss, train/epoch, then train/total_flos,
    train/train_runtime...): its steps were read as epochs and its summary scalars as curves."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "runs" / "hf"))
    for step in range(10, 61, 10):  # 20 steps an epoch, logged every 10, evaluated at each epoch's end
        for tag, v in (("train/loss", 1.0 / step), ("train/grad_norm", 0.5), ("train/learning_rate", 1e-4),
                       ("train/epoch", step / 20)):
            w.add_scalar(tag, v, step)
        if step % 20 == 0:
            for tag, v in (("eval/loss", 2.0 / step), ("eval/accuracy", step / 100), ("eval/runtime", 3.0),
                           ("train/epoch", step / 20)):
                w.add_scalar(tag, v, step)
    for tag, v in (("train/train_runtime", 60.0), ("train/total_flos", 1e15), ("train/train_loss", 0.05)):
        w.add_scalar(tag, v, 60)
    w.close()
    (c,) = read_curves(tmp_path / "runs" / "hf")
    assert c.epochs.tolist() == [0, 1, 2]
    assert c.loss.tolist() == pytest.approx([(0.1 + 0.05) / 2, (1 / 30 + 0.025) / 2, (0.02 + 1 / 60) / 2], rel=1e-6)
    assert c.val_loss.tolist() == pytest.approx([0.1, 0.05, 2 / 60], rel=1e-6)
    assert set(c.series) == {"loss", "grad_norm", "lr", "val_loss", "val_accuracy"}
    assert any("train/total_flos" in n for n in c.notes)


def test_an_empty_list_is_no_curve(tmp_path):
    """A Keras history saved from a fit without validation data: ``"val_loss": []`` was read as a
    curve of NaN as long as the others."""
    p = write(tmp_path, "history.json", json.dumps({"loss": [1.0, 0.8, 0.7], "val_loss": [], "accuracy": [0.5, 0.6, 0.7],
                                                    "val_accuracy": []}))
    (c,) = read_curves(p)
    assert set(c.series) == {"loss", "accuracy"} and len(c) == 3
    assert any("empty" in n and "val_loss, val_accuracy" in n for n in c.notes)
    (c,) = read_curves({"loss": [1.0, 0.8], "val_loss": []})
    assert list(c.series) == ["loss"]


def test_lightning_test_after_fit_with_a_training_loss_logged_every_few_epochs(tmp_path):
    """A metrics.csv whose training loss is logged every few epochs (log_every_n_steps) and whose
    trainer.test() after fit logs at the next epoch, at the step after the last: that epoch is
    left out as where every epoch trained; a last epoch that trained (its steps go on) is kept."""
    head = "epoch,step,test_loss,train_loss,val_loss\n"
    rows = "".join(f"{e},{4 * e + 3},,{f'{1.0 / (e + 1)}' if e % 3 == 2 else ''},\n{e},{4 * e + 3},,,{1.2 / (e + 1)}\n"
                   for e in range(9))
    p = write(tmp_path, "metrics.csv", head + rows + "9,36,0.11,,\n")
    (run,) = read_curves(p)
    assert run.epochs.tolist() == list(range(9))
    assert any("evaluation after training" in n and "epoch 9" in n for n in run.notes)
    # epoch 9 validated after four more steps of training (logged at no step): a real epoch, kept
    p.write_text(head + rows + "9,39,,,0.12\n")
    assert read_curves(p)[0].epochs.tolist() == list(range(10))


def test_history_lists_named_losses_or_loss_history_are_the_loss(tmp_path):
    """A JSON history whose lists are named ``train_loss_history``/``val_loss_history``, or a single
    ``losses`` list: the loss, not a curve the diagnosis cannot find (round 6 of the real logs)."""
    c = one(write(tmp_path, "h.json", '{"train_loss_history": [1.0, 0.8, 0.7], "val_loss_history": [1.1, 0.9, 0.85]}'))
    assert values(c) == {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.85]}
    c = one(write(tmp_path, "l.json", '{"losses": [1.0, 0.8, 0.7]}'))
    assert values(c) == {"loss": [1.0, 0.8, 0.7]}


def test_a_history_kept_per_split_is_one_run(tmp_path):
    """``{"train": {"l2": [...]}, "valid": {"l2": [...]}}``: one run whose loss is l2 (it was read as
    two runs named train and valid, neither with a loss)."""
    c = one(write(tmp_path, "h.json", '{"train": {"l2": [0.3, 0.2, 0.15]}, "valid": {"l2": [0.35, 0.25, 0.2]}}'))
    assert values(c) == {"l2": [0.3, 0.2, 0.15], "val_l2": [0.35, 0.25, 0.2]}
    assert fitwatch.diagnose(str(tmp_path / "h.json"), monitor="valid.l2").monitor == "val_l2"


def test_an_epoch_column_with_one_value_in_every_evaluated_row(tmp_path):
    """``fit(epochs=1)`` in a loop with an appending CSVLogger writes epoch 0 on every row: the rows
    are the evaluations, in order, and a new model appended (its loss starting over) is a new run
    (they were 20 runs of 1-2 epochs). With an iteration column, it is the x axis (one epoch of
    evaluations every 1,000 iterations was read as one epoch)."""
    rows = [(0.39, 0.43), (0.37, 0.41), (0.36, 0.37), (0.35, 0.36), (1.67, 0.81), (0.73, 0.56), (0.54, 0.42)]
    runs = read_curves(write(tmp_path, "a.csv", "epoch,loss,val_loss\n" + "".join(f"0,{a},{b}\n" for a, b in rows)))
    assert [len(c.epochs) for c in runs] == [4, 3]
    assert "epoch is 0 in every row and each row an evaluation: the rows read in order" in runs[0].notes
    c = one(write(tmp_path, "it.csv", "epoch,iteration,train_loss,val_loss\n1,1,40.9,37.5\n1,1001,11.0,3.1\n"
                                      "1,2001,6.0,0.18\n1,3001,3.7,-0.89\n"))
    assert c.epochs.tolist() == [1, 1001, 2001, 3001] and c.val_loss.tolist() == [37.5, 3.1, 0.18, -0.89]


def test_a_trainer_state_with_one_evaluation_is_its_training_curve(tmp_path):
    """Ten epochs of training rows and a single evaluation: the curve is the training loss by epoch,
    the evaluation at its epoch (it was one point, the mean of every training row)."""
    log = [{"epoch": e + 0.5 * (k + 1), "step": 10 * e + 5 * (k + 1), "loss": 2.0 / (1 + e) + 0.01 * k}
           for e in range(10) for k in range(2)]
    log.append({"epoch": 5.0, "step": 50, "eval_loss": 0.5})
    c = one(write(tmp_path, "trainer_state.json", json.dumps({"log_history": log})))
    assert len(c.epochs) == 10 and np.isfinite(c.val_loss).sum() == 1
    assert "only 1 evaluation: training loss by epoch, the mean of each epoch's logged rows" in c.notes


def test_a_history_saved_by_pandas_to_json_and_a_log_of_a_validation_curve_alone(tmp_path):
    """``pd.DataFrame(history.history).to_json()`` writes ``{"loss": {"0": .., "1": ..}}`` (it was
    refused as an empty history); a Lightning log whose one curve is ``validation_epoch_average``
    is read, to be judged with ``--monitor`` (it was refused as holding no loss)."""
    c = one(write(tmp_path, "h.json", '{"loss": {"0": 1.0, "1": 0.8, "10": 0.5, "2": 0.7}, '
                                      '"val_loss": {"0": 1.1, "1": 0.9, "10": 0.6, "2": 0.8}}'))
    assert values(c) == {"loss": [1.0, 0.8, 0.7, 0.5], "val_loss": [1.1, 0.9, 0.8, 0.6]}
    c = one(write(tmp_path, "metrics.csv", "validation_epoch_average,epoch,step\n0.09,0,1312\n0.07,1,2625\n0.06,2,3938\n"))
    assert values(c) == {"val_epoch_average": [0.09, 0.07, 0.06]}
    assert fitwatch.diagnose(str(tmp_path / "metrics.csv"), monitor="validation_epoch_average").monitor \
        == "val_epoch_average"


def test_a_long_table_of_runs_keyed_by_seed_and_model_is_one_run_each(tmp_path):
    """``seed,model,epoch,...`` rows of several runs interleaved (a comparison script's results
    table) were read as one run whose epochs collapsed and whose seed was a curve."""
    rows = "".join(f"{s},{m},{e},{1.0 - 0.1 * e + 0.01 * s},{1.1 - 0.1 * e}\n"
                   for e in range(3) for s, m in ((1, "mlp"), (2, "mlp"), (1, "cnn")))
    runs = read_curves(write(tmp_path, "results.csv", "seed,model,epoch,loss,val_loss\n" + rows))
    assert [c.name for c in runs] == ["results.csv#1 mlp", "results.csv#2 mlp", "results.csv#1 cnn"]
    assert all(c.epochs.tolist() == [0, 1, 2] and set(c.series) == {"loss", "val_loss"} for c in runs)


def test_a_whole_last_line_without_a_line_break_is_kept(tmp_path):
    """An attack on the cut-short rule: complete files that end without a line break lost their last
    row. A last NaN (a run that diverged: pandas' to_string() writes no final line break), 1.0 among
    float32 values (a float32 holds it exactly), a rounded 0.2, a '-', a space after the last line
    break, rows of fewer fields earlier in the table: all whole, all kept. A number cut inside its
    exponent (2.3456e-0 of 2.3456e-06) is cut short: it was read as 2.3456."""
    f32 = "epoch,loss,val_loss\n0,0.7149578928947449,0.6280650496482849\n1,0.6064627170562744,0.5717502236366272\n"
    for name, text, last in (("nan.csv", f32 + "2,nan,nan", math.nan), ("one.csv", f32 + "2,0.5,1.0", 1.0),
                             ("round.csv", "epoch,loss,val_loss\n0,0.9123,0.8456\n1,0.5234,0.5512\n2,0.41,0.2", 0.2),
                             ("space.csv", f32 + "2,0.5,1.0\n ", 1.0)):
        c = one(write(tmp_path, name, text))
        assert c.epochs.tolist() == [0, 1, 2] and not any("cut short" in n for n in c.notes), (name, c.notes)
        assert same([c.val_loss.tolist()[-1]], [last]), name
    c = one(write(tmp_path, "dash.csv", "epoch,loss,val_loss\n0,0.6931,0.7012\n1,0.5234,0.5512\n2,0.4101,-"))
    assert c.epochs.tolist() == [0, 1, 2] and not any("cut short" in n for n in c.notes)
    c = one(write(tmp_path, "var.csv", "epoch,loss,val_loss\n0,0.9,1.0\n1,0.8\n2,0.7,0.8\n3,0.6"))
    assert c.epochs.tolist() == [0, 1, 2, 3]
    c = one(write(tmp_path, "exp.csv", "epoch,loss,val_loss\n0,0.31,3.4567e-05\n1,0.28,3.4567e-06\n2,0.29,2.3456e-0"))
    assert c.epochs.tolist() == [0, 1] and "exp.csv: line 4, the last, was cut short (its last value stops at " \
        "'2.3456e-0'; no line break after it): left out" in c.notes


def test_a_header_alone_is_told_apart_from_a_printout_and_prose(tmp_path):
    """Header-only logs were refused as "not a training log" when a comment or title stood above the
    header or a name was unusual (lr*1e4, train:loss, a quoted "acc, top-1", one column); a printout
    (epoch 1, loss 0.72) and a sentence were taken for a header. XGBoost's console output, which starts
    with "[0]", was told to write one JSON object per line. (The printout is read since a fourth trial.)"""
    for name, text in (("c.csv", "# model: resnet18, lr: 0.001\nepoch,loss,val_loss\n"),
                       ("t.csv", "Training log for resnet18\nepoch,loss,val_loss\n"),
                       ("s.csv", "epoch,loss,val_loss,lr*1e4\n"), ("k.csv", "epoch,train:loss,val:loss\n"),
                       ("q.csv", 'epoch,loss,val_loss,"acc, top-1"\n'), ("one.csv", "loss\n")):
        assert "a header line and no rows" in _error(write(tmp_path, name, text)), name
    # a printout of names and numbers without colons is no header: it is read (a fourth trial's loop)
    (run,) = read_curves(write(tmp_path, "p.log", "epoch 1, loss 0.72, val_loss 0.81\nepoch 2, loss 0.61, val_loss 0.74\n"))
    assert run.epochs.tolist() == [1, 2] and run.series["val_loss"].tolist() == [0.81, 0.74]
    for name, text in (("n.txt", "Loss, accuracy and F1 are logged every epoch.\n"),
                       ("x.txt", "[0]\tvalidation_0-logloss:0.69000\tvalidation_1-logloss:0.69100\n"
                                 "[1]\tvalidation_0-logloss:0.66000\tvalidation_1-logloss:0.67000\n")):
        assert "not a training log fitwatch can read (line 1: " in _error(write(tmp_path, name, text)), name


def test_a_folders_warning_groups_files_by_why_and_names_rotated_logs(tmp_path):
    """500 files with one reason were 500 entries (64 KB in one warning) or hid a log with another reason
    in "496 more such"; a rotated log (train.log.1) or a backup (metrics.csv.bak) vanished without a word."""
    write(tmp_path, "run/metrics.csv", "epoch,loss\n0,0.9\n1,0.8\n")
    write(tmp_path, "run/log.txt", "epoch,loss,val_loss\n")
    for i in range(500):
        write(tmp_path, f"ann/img_{i:04d}.json", '{"shapes": []}')
    write(tmp_path, "run/train.log.1", "epoch,loss\n0,0.9\n1,0.8\n")
    with pytest.warns(UserWarning) as caught:
        runs = read_curves(tmp_path)
    msg = str(caught[0].message)
    assert [c.name for c in runs] == ["run/metrics.csv"] and len(caught) == 1 and len(msg) < 700, msg
    assert "ann/img_0000.json, ann/img_0001.json, ann/img_0002.json and 497 more (no training or validation loss" in msg
    assert "run/log.txt (a header line and no rows" in msg and "run/train.log.1 (not read in a folder" in msg


def test_the_pytorch_examples_printout(tmp_path):
    """pytorch/examples' mnist/main.py prints "Train Epoch: 1 [640/60000 (1%)]\\tLoss: 0.72" every
    log_interval batches and "Test set: Average loss: 0.16, Accuracy: 9600/10000 (96%)" after each
    epoch. It was read as a printout of phase sections: val_average_loss, no val_loss, an epoch 5 made
    up, the accuracy in percent, the training loss the last batch printed."""
    text = ""
    for e, (tr, te, ok) in enumerate([((0.80, 0.31), 0.16, 9600), ((0.28, 0.15), 0.128, 9700),
                                      ((0.09, 0.04), 0.1024, 9800)], start=1):
        text += "".join(f"Train Epoch: {e} [{i * 640}/60000 ({i}%)]\tLoss: {x:.6f}\n" for i, x in enumerate(tr))
        text += f"\nTest set: Average loss: {te:.4f}, Accuracy: {ok}/10000 ({ok // 100}%)\n\n"
    c = one(write(tmp_path, "mnist.log", text))
    assert c.epochs.tolist() == [1, 2, 3]
    assert np.allclose(c.loss, [0.555, 0.215, 0.065]) and c.val_loss.tolist() == [0.16, 0.128, 0.1024]
    assert c.series["val_accuracy"].tolist() == [0.96, 0.97, 0.98]
    assert any("mean of the batch losses printed in each epoch" in n for n in c.notes)


def test_json_lines_of_one_step_written_apart_are_one_row(tmp_path):
    """A training line, then a validation line of the same step: each was read as a point of its own,
    so training and validation never shared an epoch. Lines with a key in common besides the step (a
    split column) keep their own rule."""
    text = "".join(f'{{"step": {s}, "train_loss": {a}}}\n{{"step": {s}, "val_loss": {b}}}\n'
                   for s, a, b in ((100, 2.3, 2.4), (200, 2.0, 2.2), (300, 1.8, 2.1)))
    c = one(write(tmp_path, "log.jsonl", text))
    assert c.loss.tolist() == [2.3, 2.0, 1.8] and c.val_loss.tolist() == [2.4, 2.2, 2.1]
    assert "3 lines merged with the line before them, of the same step or epoch (a training line, then a " \
        "validation line)" in c.notes


def test_a_scikit_learn_mlps_verbose_printout():
    """MLPClassifier(verbose=True, early_stopping=True, n_iter_no_change=3) on digits, its stdout
    (tests/data/logs/sklearn_mlp_verbose.txt): "Iteration N, loss = x", "Validation score: s", then
    "... for 3 consecutive epochs. Stopping.". It was "not a training log"."""
    path = Path(__file__).parent / "data" / "logs" / "sklearn_mlp_verbose.txt"
    c = one(path)
    assert c.epochs.tolist() == list(range(1, 23)) and c.loss.tolist()[0] == 2.34141213
    assert c.series["val_accuracy"].tolist()[-1] == 0.955556 and c.context["model"] == "sklearn_mlp"
    assert c.stop["stopped"] and c.stop["patience"] == 3 and c.stop["best_epoch"] == 18
    d = fitwatch.diagnose(str(path))
    assert d.monitor == "val_accuracy" and "stopped_early" in [f.code for f in d.findings], d
    assert not any("early_stopping=True" in r for f in d.findings for r in f.remedies)


def test_an_mlflow_run_as_its_file_store_keeps_it(tmp_path):
    """mlruns/<experiment>/<run>/metrics/<name>: a file per metric, no suffix, '<timestamp> <value>
    <step>' per line. A folder holding runs reads each as a run named by its folder (params and tags
    are no curves: not read, not said); the metrics folder named alone is the run, and one file alone
    is a run of that curve. They were files without a suffix, not read."""
    run = tmp_path / "mlruns" / "0" / "abc123"
    for name, values in (("loss", [0.9, 0.7, 0.6, 0.55]), ("val_loss", [1.0, 0.8, 0.75, 0.74]),
                         ("val_accuracy", [0.5, 0.6, 0.7, 0.72])):
        write(run / "metrics", name, "".join(f"{1700000000000 + 1000 * e} {v} {e}\n" for e, v in enumerate(values)))
    write(run / "metrics", "loss", (run / "metrics" / "loss").read_text() + "1700000009000 0.5 3\n")  # step 3 again
    write(run / "params", "lr", "0.001")
    write(run, "meta.yaml", "name: abc123\n")
    import warnings as w
    with w.catch_warnings():
        w.simplefilter("error")  # nothing skipped worth a word
        [c] = read_curves(tmp_path / "mlruns")
    assert c.name == "0/abc123" and c.epochs.tolist() == [0, 1, 2, 3]
    assert c.loss.tolist() == [0.9, 0.7, 0.6, 0.5] and c.val_loss.tolist() == [1.0, 0.8, 0.75, 0.74]
    assert c.series["val_accuracy"].tolist() == [0.5, 0.6, 0.7, 0.72]
    assert any("MLflow run's metrics (3 metric files)" in n for n in c.notes)
    assert read_curves(run / "metrics")[0].loss.tolist() == [0.9, 0.7, 0.6, 0.5]
    assert read_curves(run / "metrics" / "val_loss")[0].val_loss.tolist() == [1.0, 0.8, 0.75, 0.74]


def test_a_dangling_link_in_a_folder_is_named_once(tmp_path):
    """A link to a file that is gone: its path was given twice ("broken.csv (/tmp/.../broken.csv: cannot read")."""
    write(tmp_path, "a.csv", "epoch,loss\n0,0.9\n1,0.8\n")
    (tmp_path / "broken.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.warns(UserWarning) as caught:
        read_curves(tmp_path)
    assert str(caught[0].message) == (f"fitwatch: in {tmp_path}, skipped broken.csv (cannot read (No such file or "
                                      f"directory: a link to a file that is gone))")


def test_name_is_value_printouts_and_histories_under_a_key_are_read(tmp_path):
    """Collection round 13 (tune half): ``Epoch:0, mask loss is 0.1411`` lines saved as train_log.csv
    were refused as a CSV, and ``{"history": [{"epoch": 1, "train_loss": ..., "val_loss": ...}, ...]}``
    (per-epoch objects under a key) said 'no training or validation loss key (found: history)'."""
    losses = [0.1411, 0.0967, 0.0831, 0.5052, 0.4949]
    text = "".join(f"Epoch:{e}, mask loss is {v:.4f} \n" for e, v in enumerate(losses))
    (run,) = read_curves(write(tmp_path, "train_log.csv", text))
    assert run.epochs.tolist() == [0, 1, 2, 3, 4] and run.series["mask_loss"].tolist() == losses
    rows = [{"epoch": e, "train_loss": 1.1 - 0.1 * e, "val_loss": 1.05 - 0.02 * e, "val_accuracy": 0.5 + 0.01 * e}
            for e in range(1, 6)]
    doc = {"history": rows, "best_epoch": 5, "config": {"lr": 0.001}}
    (run,) = read_curves(write(tmp_path, "training_history.json", json.dumps(doc)))
    assert run.epochs.tolist() == [1, 2, 3, 4, 5]
    assert np.allclose(run.series["loss"], [r["train_loss"] for r in rows])
    assert np.allclose(run.series["val_loss"], [r["val_loss"] for r in rows])
    # two such lists: which one is the log is not known, so the document is read as it was
    with pytest.raises(ReadError):
        read_curves(write(tmp_path, "two.json", json.dumps({"a": rows, "b": rows})))
    # an attack on this change: a Keras history dict beside a list of callback objects is the history;
    # rows without a loss are not the log, and the error names the document's own keys
    keras = {"history": {"loss": [0.9, 0.7, 0.5], "val_loss": [1.0, 0.8, 0.7]}, "params": {"epochs": 3},
             "callbacks": [{"name": "ModelCheckpoint", "period": 1}, {"name": "EarlyStopping", "patience": 5}]}
    (run,) = read_curves(write(tmp_path, "keras.json", json.dumps(keras)))
    assert run.series["val_loss"].tolist() == [1.0, 0.8, 0.7]
    with pytest.raises(ReadError, match=r"found: samples\)"):
        read_curves(write(tmp_path, "samples.json", json.dumps({"loss": 0.5, "samples": [{"id": 1, "pred": 0.3},
                                                                                         {"id": 2, "pred": 0.8}]})))
    # "is" read only where nothing else is: a line's spaced pairs keep their values; prose names its curves
    best = "".join(f"epoch {e} train_loss {a} val_loss {b}{' new best is 0.81' if e == 2 else ''}\n"
                   for e, a, b in ((1, 0.91, 1.01), (2, 0.71, 0.81), (3, 0.51, 0.91)))
    (run,) = read_curves(write(tmp_path, "best.txt", best))
    assert run.series["loss"].tolist() == [0.91, 0.71, 0.51] and run.series["val_loss"].tolist() == [1.01, 0.81, 0.91]
    # a value written without its leading zero was dropped with its curve: judged on the training loss alone
    (run,) = read_curves(write(tmp_path, "dot.txt", "Epoch 1 - loss: 0.91 - val_loss: .81\nEpoch 2 - loss: 0.71 - val_loss: .61\n"))
    assert run.series["val_loss"].tolist() == [0.81, 0.61]
    # decimal commas (a locale's formatting) read as 0 and 1, silently: now as the numbers, with a note
    comma = "Epoch 1/2\n10/10 - 1s - loss: 0,91 - val_loss: 1,01\nEpoch 2/2\n10/10 - 1s - loss: 0,71 - val_loss: 0,81\n"
    (run,) = read_curves(write(tmp_path, "comma.txt", comma))
    assert run.series["loss"].tolist() == [0.91, 0.71] and run.series["val_loss"].tolist() == [1.01, 0.81]
    assert "read decimal commas (0,91) as decimal points" in run.notes
    prose = "".join(f"Epoch {e}, the loss is {a} and the val loss is {b}\n" for e, a, b in ((1, 0.91, 1.01), (2, 0.71, 0.81)))
    (run,) = read_curves(write(tmp_path, "prose.txt", prose))
    assert run.series["loss"].tolist() == [0.91, 0.71] and run.series["val_loss"].tolist() == [1.01, 0.81]


def test_a_training_row_and_an_evaluation_row_at_one_step_are_one_point(tmp_path):
    """Collection round 13 (tune half): ``step,val_f1,eval_loss,train_loss`` with a training row and an
    evaluation row at each step was read as 16 'epochs', none holding both losses, and judged on none
    ('Too few epochs'). A column filled twice at one step keeps the rows apart."""
    text = "step,val_f1,eval_loss,train_loss\n" + "".join(
        f"{s},,,{1.3 - 0.1 * i}\n{s},{0.7 + 0.02 * i},{1.0 - 0.08 * i},\n" for i, s in enumerate(range(14, 113, 14)))
    (run,) = read_curves(write(tmp_path, "trainer_log.csv", text))
    assert len(run) == 8 and np.allclose(run.series["loss"], [1.3 - 0.1 * i for i in range(8)])
    assert np.allclose(run.series["val_loss"], [1.0 - 0.08 * i for i in range(8)])
    assert any("joined the rows logged at one step" in n for n in run.notes)
    twice = "step,loss,val_loss\n1,0.9,\n1,0.8,0.7\n2,0.6,0.65\n"
    (run,) = read_curves(write(tmp_path, "twice.csv", twice))
    assert len(run) == 3
    # pandas' index column (df.to_csv()), a learning rate repeated on both rows, a timestamp: still joined
    indexed = ",loss,learning_rate,step,eval_loss,timestamp\n" + "".join(
        f"{2 * i},{0.9 - 0.2 * i},1e-4,{10 * (i + 1)},,{100 * i}\n{2 * i + 1},,1e-4,{10 * (i + 1)},{1.0 - 0.1 * i},{100 * i + 1}\n"
        for i in range(3))
    (run,) = read_curves(write(tmp_path, "indexed.csv", indexed))
    assert run.epochs.tolist() == [0, 1, 2] and np.allclose(run.series["val_loss"], [1.0, 0.9, 0.8])
    assert np.allclose(run.series["loss"], [0.9, 0.7, 0.5]) and np.allclose(run.series["learning_rate"], 1e-4)
