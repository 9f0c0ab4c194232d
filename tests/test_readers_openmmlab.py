"""OpenMMLab's JSON logs (mmdetection, mmsegmentation, mmpretrain...): MMCV's ``*.log.json`` (2.x:
a header line with ``seed``, then ``{"mode": "train", "epoch": e, "iter": i, ...}`` lines whose
``iter`` starts again at each epoch, and a ``{"mode": "val", ...}`` line per epoch) and MMEngine's
``vis_data/scalars.json`` (3.x: training lines with ``epoch``, ``iter`` and a global ``step``, a
validation line per epoch with ``step`` = the epoch). Each was read as one run per epoch (2.x) or
lost its validation (3.x)."""

import json
import math

import numpy as np

import fitwatch
from fitwatch.diagnosis.readers import read_curves

EPOCHS = 12


def _loss(ep):
    return 1.2 * math.exp(-ep / 4) + 0.3


def _map(ep):
    return 0.2 + 0.2 * (1 - math.exp(-ep / 4))


def test_mmcv_log_json_is_one_run_with_its_validation_metrics(tmp_path):
    lines = [{"env_info": "sys.platform: linux", "config": "model = dict(type='FasterRCNN')", "seed": 0,
              "exp_name": "faster_rcnn_r50_fpn_1x_coco.py"}]
    for ep in range(1, EPOCHS + 1):
        for it in (50, 100, 150):
            lines.append({"mode": "train", "epoch": ep, "iter": it, "lr": 0.02, "memory": 3000, "data_time": 0.01,
                          "loss_cls": _loss(ep) * 0.6, "acc": 90.0, "loss_bbox": _loss(ep) * 0.4, "loss": _loss(ep),
                          "time": 0.3})
        lines.append({"mode": "val", "epoch": ep, "iter": 500, "lr": 0.02, "bbox_mAP": _map(ep), "bbox_mAP_50": 0.5})
    f = tmp_path / "20240101_120000.log.json"
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    [c] = read_curves(f)
    assert c.name == f.name and c.epochs.tolist() == list(range(1, EPOCHS + 1))
    assert np.allclose(c.loss, [_loss(e) for e in range(1, EPOCHS + 1)])
    assert np.allclose(c.series["val_bbox_map"], [_map(e) for e in range(1, EPOCHS + 1)])
    # no series for what no line of its phase holds: no val_loss of NaNs, no training mAP
    assert "val_loss" not in c.series and "bbox_map" not in c.series
    assert any("seed is given in 1 of" in n for n in c.notes)
    d = fitwatch.diagnose(f, monitor="val_bbox_map")
    assert d.best_epoch == EPOCHS and d.verdict == "still_improving"


def test_mmengine_scalars_json_keeps_the_validation_line_of_each_epoch(tmp_path):
    lines, step = [], 0
    for ep in range(1, EPOCHS + 1):
        for it in (50, 100, 150):
            step += 50
            lines.append({"lr": 0.02, "data_time": 0.01, "loss": _loss(ep), "loss_cls": _loss(ep) * 0.6, "time": 0.3,
                          "epoch": ep, "iter": it, "memory": 3000, "step": step})
        lines.append({"coco/bbox_mAP": _map(ep), "coco/bbox_mAP_50": 0.5, "data_time": 0.01, "time": 0.05, "step": ep})
    f = tmp_path / "scalars.json"
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    [c] = read_curves(f)
    assert c.epochs.tolist() == list(range(1, EPOCHS + 1))
    assert np.allclose(c.series["val_coco_bbox_map"], [_map(e) for e in range(1, EPOCHS + 1)])
    assert np.allclose(c.loss, [_loss(e) for e in range(1, EPOCHS + 1)])
    assert any("MMEngine's scalars.json" in n for n in c.notes)


def test_a_run_column_in_every_line_still_splits_runs(tmp_path):
    """The header-line rule leaves a real seed column alone: two seeds, two runs."""
    f = tmp_path / "runs.jsonl"
    f.write_text("\n".join(json.dumps({"seed": s, "epoch": e, "loss": 1 / (e + 1 + s)}) for s in (0, 1)
                           for e in range(5)) + "\n")
    assert len(read_curves(f)) == 2
