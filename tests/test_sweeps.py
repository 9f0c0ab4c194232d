"""Sweeps: fitwatch's rule ending trials in a real Optuna study and a real Ray Tune run (Ray starts
offline on 2 CPUs, once for the module), every Tune trial recorded as a run."""

import math

import numpy as np
import pytest

import fitwatch

optuna = pytest.importorskip("optuna")


def curve(kind: str, n: int = 40) -> list[float]:
    """A trial's validation loss: ``good`` (still falling, settles), ``overfit`` (turns up at 12),
    ``diverge`` (blows up from the start), ``flat`` (learns nothing, at ln 10)."""
    e = np.arange(n)
    if kind == "good":
        return (0.3 + 0.7 * np.exp(-e / 8)).tolist()
    if kind == "overfit":
        return (0.4 + 0.6 * np.exp(-e / 4) + 0.01 * np.maximum(e - 12, 0) ** 1.2).tolist()
    if kind == "diverge":
        return (1.0 * 1.5 ** e).tolist()
    return (math.log(10) + 0.002 * np.sin(e)).tolist()


def test_the_optuna_pruner_ends_hopeless_trials_at_once_and_others_by_early_stopping():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    kinds = ["good", "overfit", "diverge", "flat"]
    pruner = fitwatch.optuna.Pruner()
    seen = {}

    def objective(trial):
        kind = trial.suggest_categorical("kind", kinds)
        values = curve(kind)
        for epoch, v in enumerate(values):
            trial.report(v, epoch)
            seen[trial.number] = (kind, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return values[-1]

    study = optuna.create_study(pruner=pruner)
    for kind in kinds:  # "good" first: the others are judged against a completed trial
        study.enqueue_trial({"kind": kind})
    study.optimize(objective, n_trials=4)
    by_kind = {seen[t.number][0]: (t.state, seen[t.number][1], pruner.reasons.get(t.number, "")) for t in study.trials}
    assert by_kind["good"][0] == optuna.trial.TrialState.COMPLETE  # never stopped while it improves
    assert by_kind["diverge"][2].startswith("diverged") and by_kind["diverge"][1] <= 5
    assert by_kind["flat"][2].startswith("not_learning") and by_kind["flat"][1] <= 5
    state, epoch, reason = by_kind["overfit"]
    assert state == optuna.trial.TrialState.PRUNED and reason.startswith("early stopping") and 12 < epoch < 25


def test_the_optuna_pruner_follows_a_maximised_objective():
    pruner = fitwatch.optuna.Pruner()
    study = optuna.create_study(direction="maximize", pruner=pruner)

    def objective(trial):
        for epoch in range(30):
            acc = 0.5 + 0.4 * (1 - math.exp(-epoch / 3)) - 0.01 * max(0, epoch - 10)  # up, then down from 10
            trial.report(acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return acc

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    # early stopping ended it after its best at 10 (maximised: higher is better); the only trial, its best
    # could be the study's: not pruned (Optuna would leave it out of best_trial), marked converged
    assert trial.state == optuna.trial.TrialState.COMPLETE and pruner.converged == {0} and not pruner.reasons
    second = optuna.create_study(direction="maximize", pruner=pruner)
    second.add_trial(optuna.trial.create_trial(value=0.95, params={}, distributions={}))  # a better one done
    second.optimize(objective, n_trials=1)
    last = second.trials[-1]
    assert last.state == optuna.trial.TrialState.PRUNED and "early stopping" in pruner.reasons[last.number]
    assert 10 < last.last_step < 20
    with pytest.raises(ValueError, match="min_epochs must be an integer of 2 or more"):
        fitwatch.optuna.Pruner(min_epochs=1)


@pytest.fixture(scope="module")
def ray_tune():
    ray = pytest.importorskip("ray")
    from ray import tune

    import sys

    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the trainable below, in Ray's workers
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield tune
    ray.shutdown()


def _trainable(config):
    from ray import tune

    for v in curve(config["kind"], 30):
        tune.report({"val_loss": v, "loss": 0.9 * v})


def test_ray_tune_records_every_trial_and_stops_them_by_fitwatchs_rule(ray_tune, tmp_path):
    tune = ray_tune
    sched = fitwatch.ray.Scheduler()
    cb = fitwatch.ray.Callback("kinds", dir=tmp_path / "store", rules=sched)
    tuner = tune.Tuner(_trainable, param_space={"kind": tune.grid_search(["good", "overfit", "diverge", "flat"])},
                       tune_config=tune.TuneConfig(metric="val_loss", mode="min", scheduler=sched),
                       run_config=tune.RunConfig(callbacks=[cb], storage_path=str(tmp_path / "ray"), verbose=0))
    tuner.fit()
    runs = {r["config"]["kind"]: r for r in fitwatch.runs(tmp_path / "store", tag="kinds")}
    assert sorted(runs) == ["diverge", "flat", "good", "overfit"]
    assert runs["good"]["status"] == "finished" and runs["good"]["epochs"] == 30
    for kind in ("diverge", "flat"):
        assert runs[kind]["status"] == "stopped" and runs[kind]["epochs"] <= 5
    assert runs["overfit"]["status"] == "stopped" and 12 < runs["overfit"]["epochs"] < 25
    data = fitwatch.load(runs["diverge"]["name"], dir=tmp_path / "store")
    assert data.info["stopped_by"].startswith("diverged") and data.info["sweep"] == "kinds"
    assert data.history["val_loss"][:3] == curve("diverge", 30)[:3]
    # a Stopper gives the same decisions
    stopper = fitwatch.ray.Stopper("val_loss", "min")
    tune.Tuner(_trainable, param_space={"kind": tune.grid_search(["diverge", "good"])},
               run_config=tune.RunConfig(stop=stopper, storage_path=str(tmp_path / "ray2"), verbose=0)).fit()
    assert sorted(r.split(":")[0] for r in stopper.reasons.values()) == ["diverged"]


def _doc_blocks() -> list[str]:
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "sweeps.md").read_text()
    return [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]


def test_the_optuna_quick_start_runs_as_written():
    code = _doc_blocks()[0]
    ns: dict = {}
    exec(compile(code, "docs/sweeps.md", "exec"), ns)
    pruner, study = ns["pruner"], ns["study"]
    blown = [t.params["lr"] for t in study.trials if pruner.reasons.get(t.number, "").startswith("diverged")]
    assert blown and min(blown) > 3  # the trials that blow up are ended as diverged, the others are not
    assert all(t.params["lr"] <= 3 for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE)
    # a slow learner (lr 0.01: 1.0 -> 0.99 over its first 5 epochs) is learning, not "not learning"
    assert not any(r.startswith("not_learning") for r in pruner.reasons.values())


def test_the_ray_quick_start_runs_as_written(tmp_path):
    """In its own process (it starts Ray itself), as a user runs it."""
    import os
    import subprocess
    import sys

    pytest.importorskip("ray")
    (tmp_path / "sweep.py").write_text(_doc_blocks()[1])
    env = {**os.environ, "FITWATCH_DIR": str(tmp_path / "store"), "RAY_AUTH_MODE": "disabled"}
    p = subprocess.run([sys.executable, "sweep.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stderr[-3000:]
    runs = fitwatch.runs(tmp_path / "store", tag="lr-sweep")
    assert len(runs) == 4
    by_lr = {r["config"]["lr"]: r for r in runs}
    assert by_lr[5.0]["status"] == "stopped" and by_lr[5.0]["epochs"] <= 5
    assert "diverged" in p.stdout
