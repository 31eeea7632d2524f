"""Benchmark: refit rules for one search's best hyperparameters, MNIST-1D.

Seed 4 of `benchmarks/tuning.py` refit (a cosine to 0 over the best epoch) to
0.711, below its own trial model (0.724). This trains that configuration
(`--config 4`: learning rate 5.1e-4, 3 x 592 units with BN, batch 128) or
seed 0's (`--config 0`: 2.8e-3, 3 x 536 without BN, batch 64) as a trial
does (training split, up to 300 epochs, patience 40 on `val_accuracy`, the
best epoch `E` kept), then refits it on train + validation by each rule:
`const_E` (E epochs, constant rate), `cos_E` (cosine to 0 over E: the old
rule), `cos_Exdata` (cosine over E x 4000/3400), `cos_2E` (cosine over 2E),
`hold_E_cos_halfE` (E epochs at the rate, then a cosine over E/2 more: the
rule since issue 17, `stages.refit_plan`). Test accuracy of each.

Run: `nice -n 10 python benchmarks/refit_rule.py CONFIG SEEDS [RULES]`, e.g.
`4 0,1 cos_E,hold_E_cos_halfE` (writes `benchmarks/results/refit_rule_CONFIG.json`;
about 20 minutes a seed on 2 busy cores).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

from recipes import build_mlp, datasets  # noqa: E402

HP = {
    4: dict(
        learning_rate=0.0005061101941821395,
        l2=1.3787102276144828e-06,
        dropout=0.2662517600487761,
        units=592,
        depth=3,
        batch_size=128,
        batch_norm=True,
    ),
    0: dict(
        learning_rate=0.002820728908195207,
        l2=5.902480479540068e-05,
        dropout=0.11093373739565636,
        units=536,
        depth=3,
        batch_size=64,
        batch_norm=False,
    ),
}
which = int(sys.argv[1])
seeds = [int(s) for s in sys.argv[2].split(",")]
hp = HP[which]
data = datasets.load("mnist1d")
x_all = np.concatenate([data.x_train, data.x_val])
y_all = np.concatenate([data.y_train, data.y_val])


def make(x, y, seed):
    keras.utils.set_random_seed(seed)
    return build_mlp(
        data.input_shape,
        data.num_classes,
        x_train=x,
        y_train=y,
        seed=seed,
        hidden_units=(hp["units"],) * hp["depth"],
        learning_rate=hp["learning_rate"],
        l2=hp["l2"],
        dropout=hp["dropout"],
        batch_norm=hp["batch_norm"],
    )


out = []
for seed in seeds:
    m = make(data.x_train, data.y_train, seed)
    stop = keras.callbacks.EarlyStopping(
        "val_accuracy", patience=40, restore_best_weights=True
    )
    h = m.fit(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=300,
        batch_size=hp["batch_size"],
        callbacks=[stop],
        verbose=0,
    )
    val = h.history["val_accuracy"]
    E = int(np.argmax(val)) + 1
    rec = {
        "seed": seed,
        "best_epoch": E,
        "epochs_run": len(val),
        "best_val": max(val),
        "trial_test": m.evaluate(data.x_test, data.y_test, verbose=0)[1],
        "val_curve": [round(v, 4) for v in val],
    }
    spe = math.ceil(len(x_all) / hp["batch_size"])
    ratio = len(x_all) / len(data.x_train)
    rules = {
        "const_E": (E, None),
        "cos_E": (E, ("cos", E * spe, 0)),
        "cos_Exdata": (round(E * ratio), ("cos", round(E * ratio) * spe, 0)),
        "cos_2E": (2 * E, ("cos", 2 * E * spe, 0)),
        "hold_E_cos_halfE": (E + E // 2, ("cos", (E // 2) * spe, E * spe)),
    }
    for name, (epochs, sched) in rules.items():
        if len(sys.argv) > 3 and name not in sys.argv[3].split(","):
            continue
        t = time.time()
        m = make(x_all, y_all, seed)
        if sched:
            lr = hp["learning_rate"]
            _, decay, hold = sched
            kw = dict(warmup_target=lr, warmup_steps=hold) if hold else {}
            m.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
                lr, decay_steps=max(1, decay), **kw
            )
        m.fit(x_all, y_all, epochs=epochs, batch_size=hp["batch_size"], verbose=0)
        rec[name] = m.evaluate(data.x_test, data.y_test, verbose=0)[1]
        rec[name + "_s"] = round(time.time() - t, 1)
        print(which, seed, name, epochs, rec[name], flush=True)
    out.append(rec)
    print(json.dumps({k: v for k, v in rec.items() if k != "val_curve"}), flush=True)
    here = os.path.dirname(os.path.abspath(__file__))
    write_json(os.path.join(here, "results", f"refit_rule_{which}.json"), out, indent=1)
