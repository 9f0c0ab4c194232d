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


# -- the text logs (*.log): what the runner printed, often the only log kept -------------------------

def _one_run(path, lines):
    """The one run the text log ``lines`` written to ``path`` holds, checked for its epochs and the
    mean of each epoch's training losses."""
    path.write_text("\n".join(lines) + "\n")
    [c] = read_curves(path)
    assert c.epochs.tolist() == list(range(1, EPOCHS + 1))
    assert np.allclose(c.loss, [_loss(e) for e in range(1, EPOCHS + 1)], atol=1e-4)  # the epoch's mean
    return c


def test_mmengine_text_log_epoch_based_is_one_run_with_epoch_means_and_its_validation(tmp_path):
    """MMEngine's text log: "Epoch(train) [e][i/N]  lr: ..  eta: ..  loss: .." every few iterations,
    validation progress lines (eta, time, memory only), then "Epoch(val) [e][N/N]  accuracy: .." (it
    was not read at all: "not a training log")."""
    lines = []
    for ep in range(1, EPOCHS + 1):
        for it, wiggle in ((50, 0.1), (100, -0.1), (150, 0.0)):
            lines.append(f"2022/08/22 15:51:57 - mmengine - INFO - Epoch(train) [{ep}][{it:4d}/150]  lr: 1.0000e-03  "
                         f"eta: 0:07:17  time: 0.0347  data_time: 0.0073  memory: 392  loss: {_loss(ep) + wiggle:.4f}")
        lines.append(f"2022/08/22 15:52:50 - mmengine - INFO - Saving checkpoint at {ep} epochs")
        lines.append("2022/08/22 15:52:51 - mmengine - INFO - Epoch(val) [1][10/313]    eta: 0:00:03  time: 0.0122  "
                     "data_time: 0.0047  memory: 392")
        lines.append(f"2022/08/22 15:52:54 - mmengine - INFO - Epoch(val) [{ep}][313/313]  accuracy: {100 * _map(ep):.4f}"
                     f"  data_time: 0.0044  time: 0.0146")
    f = tmp_path / "20220822_155150.log"
    c = _one_run(f, lines)
    assert np.allclose(c.series["val_accuracy"], [_map(e) for e in range(1, EPOCHS + 1)], atol=1e-6)  # percent
    assert not {"eta", "time", "data_time", "memory", "val_time"} & set(c.series)
    d = fitwatch.diagnose(f)
    assert d.monitor == "val_accuracy" and d.best_epoch == EPOCHS and d.verdict == "still_improving"


def test_mmcv_text_log_is_read_like_its_json_log(tmp_path):
    """MMCV 2.x (mmdetection 2.x): "Epoch [e][i/N]\\tlr: .., eta: 1 day, 0:00:00, ..., loss: .." and
    "Epoch(val) [e][N]\\tbbox_mAP: .., ...": the same run as its *.log.json."""
    lines = ["2021-06-02 09:59:59,000 - mmdet - INFO - Environment info: sys.platform: linux"]
    for ep in range(1, EPOCHS + 1):
        for it in (50, 100, 150):
            lines.append(f"2021-06-02 10:00:00,000 - mmdet - INFO - Epoch [{ep}][{it}/150]\tlr: 2.000e-02, eta: 1 day, "
                         f"0:00:00, time: 0.500, data_time: 0.050, memory: 3000, loss_cls: {_loss(ep) * 0.6:.4f}, "
                         f"acc: 90.0000, loss_bbox: {_loss(ep) * 0.4:.4f}, loss: {_loss(ep):.4f}")
        lines.append(f"2021-06-02 11:00:00,000 - mmdet - INFO - Epoch(val) [{ep}][150]\tbbox_mAP: {_map(ep):.4f}, "
                     f"bbox_mAP_50: 0.5000, bbox_mAP_copypaste: 0.200 0.400 0.210 0.100 0.200 0.300")
    f = tmp_path / "20210602_095959.log"
    c = _one_run(f, lines)
    assert np.allclose(c.series["val_bbox_map"], [_map(e) for e in range(1, EPOCHS + 1)], atol=1e-4)
    assert fitwatch.diagnose(f).monitor == "val_bbox_map"


def test_mmengine_text_log_iteration_based_has_a_point_per_validation(tmp_path):
    """mmsegmentation's iteration-based schedule: "Iter(train) [ 100/3200] ... loss: .." and, after a
    per-class table, "Iter(val) [17/17]  aAcc: ..  mIoU: ..  mAcc: ..": one point per validation, the
    training lines since the one before averaged; judged on mIoU, the score segmentation reads."""
    lines, it = [], 0
    for v in range(1, 9):
        for k in range(4):
            it += 100
            lines.append(f"06/16 08:24:00 - mmengine - INFO - Iter(train) [{it:5d}/3200]  lr: 9.3518e-03  eta: 0:00:57  "
                         f"time: 0.5780  memory: 3614  loss: {1.0 / v + (0.1 if k % 2 else -0.1):.4f}  "
                         f"decode.loss_ce: 0.0257  decode.acc_seg: 90.3107")
        lines += ["06/16 08:23:02 - mmengine - INFO - per class results:",
                  "+--------------+-------+-------+", "|    Class     |  IoU  |  Acc  |", "| red | 86.22 | 87.61 |",
                  f"06/16 08:23:02 - mmengine - INFO - Iter(val) [17/17]    aAcc: {86 + v:.4f}  mIoU: {40 + 2 * v:.4f}  "
                  f"mAcc: {50 + v:.4f}  data_time: 0.0052  time: 0.4238"]
    lines.append("06/16 08:24:00 - mmengine - INFO - Iter(train) [ 3300/3400]  lr: 9.3518e-03  loss: 0.0365")
    f = tmp_path / "seg.log"
    f.write_text("\n".join(lines) + "\n")
    [c] = read_curves(f)
    assert c.epochs.tolist() == list(range(1, 9))
    assert np.allclose(c.loss, [1.0 / v for v in range(1, 9)], atol=1e-4)
    assert np.allclose(c.series["val_m_iou"], [40 + 2 * v for v in range(1, 9)])
    assert any("1 training lines after the last validation left out" in n for n in c.notes)
    d = fitwatch.diagnose(f)
    assert d.monitor == "val_m_iou" and d.best_epoch == 8
