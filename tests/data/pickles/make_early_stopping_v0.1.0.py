"""Writes tests/data/pickles/early_stopping_v0.1.0.pkl: run with fitwatch 0.1.0 (commit c6a1f87) on
PYTHONPATH. Six rules, each fed 12 epochs of two seeded curves, pickled mid-run with their curves."""
import pickle, random, sys
from fitwatch import EarlyStopping
rng = random.Random(1)
curves = []
for c in range(2):
    v, vals = 1.0, []
    for e in range(60):
        v = v * (0.93 + 0.1 * rng.random()) + 0.01 * rng.random()
        vals.append(round(v, 6))
    curves.append(vals)
out = []
for spec in [dict(), dict(patience=3), dict(criterion="GL2"), dict(criterion="PQ1"), dict(criterion="UP2"),
             dict(min_delta="1%", patience=4)]:
    for vals in curves:
        s = EarlyStopping(**spec)
        for e in range(12):
            s.update(e, {"loss": vals[e] * 0.8, "val_loss": vals[e]})
        out.append((spec, vals, pickle.dumps(s, protocol=4)))
pickle.dump(out, open(sys.argv[1], "wb"), protocol=4)
