"""The Babysitter dropped into the program shapes of a Keras project (issue 15).

Each shape runs on the backend of the session (`KERAS_BACKEND`): no crash,
its figures in History with one value per epoch, and the loss and weights
bit-identical to the same seeded fit without the callback.
"""

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from callbacks import Babysitter
from tests.callbacks._models import TINY_FIT_PROGRAM, blobs

BACKEND = keras.backend.backend()


def _tf():
    return pytest.importorskip("tensorflow")


def mlp(with_input=True, d=8):
    layers = [keras.Input((d,))] if with_input else []
    layers += [
        keras.layers.Dense(16, activation="relu", name="hidden_0"),
        keras.layers.Dense(16, activation="relu", name="hidden_1"),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ]
    return keras.Sequential(layers)


def nested_functional():
    inner_in = keras.Input((8,))
    h = keras.layers.Dense(16, activation="relu", name="inner_0")(inner_in)
    h = keras.layers.Dense(16, activation="relu", name="inner_1")(h)
    block = keras.Model(inner_in, h, name="block")
    inp = keras.Input((8,))
    x = keras.layers.Dense(8, activation="tanh", name="outer_0")(inp)
    seq = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(8, activation="relu", name="seq_0")],
        name="seq",
    )
    x = block(seq(x))
    return keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))


def with_dropout_and_bn():
    inp = keras.Input((8,))
    x = keras.layers.Dense(16, name="dense_in")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))


class Rows(keras.utils.PyDataset):
    """A PyDataset whose batches draw on numpy's global random state."""

    def __init__(self, x, y, batch=32):
        super().__init__()
        self.x, self.y, self.batch = x, y, batch

    def __len__(self):
        return math.ceil(len(self.x) / self.batch)

    def __getitem__(self, i):
        rows = slice(i * self.batch, (i + 1) * self.batch)
        noise = np.random.normal(0.0, 0.01, self.x[rows].shape).astype("float32")
        return self.x[rows] + noise, self.y[rows]


def _generator(x, y, batch=32):
    rng = np.random.default_rng(1)
    while True:
        for i in rng.permutation(len(x) // batch):
            rows = slice(i * batch, (i + 1) * batch)
            yield x[rows], y[rows]


def _fit(build, data, with_sitter, epochs=2, **kw):
    keras.utils.set_random_seed(0)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    sitter = Babysitter(verbose=0) if with_sitter else None
    history = model.fit(
        **data(),
        epochs=epochs,
        verbose=0,
        callbacks=[sitter] if sitter else [],
        **kw,
    )
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    keras.backend.clear_session()
    return history.history, weights, sitter


def _same_run(build, data, **kw):
    plain, plain_w, _ = _fit(build, data, False, **kw)
    seen, seen_w, sitter = _fit(build, data, True, **kw)
    assert plain["loss"] == seen["loss"]  # exact: bit-identical
    assert len(plain_w) == len(seen_w)
    for a, b in zip(plain_w, seen_w):
        np.testing.assert_array_equal(a, b)
    epochs = len(plain["loss"])
    for key, values in seen.items():
        assert len(values) == epochs, key
    return seen, sitter


X, Y = blobs(768)


def arrays():
    return dict(x=X, y=Y, batch_size=32, validation_split=0.25)


def shuffled_dataset(repeat=False):
    tf = _tf()

    def data():
        ds = tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(768, seed=1)
        ds = ds.batch(16)
        if repeat:
            return dict(x=ds.repeat(), steps_per_epoch=48)
        return dict(x=ds)

    return data


@pytest.mark.parametrize("repeat", [False, True])
def test_shuffled_tf_data_is_bit_identical_and_probed_with_1024_samples(repeat):
    history, sitter = _same_run(mlp, shuffled_dataset(repeat))
    assert "dead_fraction" in history and "gradient_ratio" in history
    probe = sitter.monitors[1]._shared_probe[0]
    # the whole (small) dataset, not one batch of 16 (1,024 once it repeats)
    assert probe.x.shape == ((1024 if repeat else 768), 8)


def test_py_dataset_with_random_batches_is_bit_identical_and_evenly_probed():
    def data():
        return dict(x=Rows(X, Y))

    history, sitter = _same_run(mlp, data)
    assert "dead_fraction/hidden_0" in history
    assert sitter.monitors[1]._shared_probe[0].x.shape == (768, 8)


def test_generator_is_never_touched_and_run_is_bit_identical():
    def data():
        return dict(x=_generator(X, Y), steps_per_epoch=12)

    history, sitter = _same_run(mlp, data)
    assert "loss" in history
    skipped = [f for f in sitter.findings if f.check == "activation_checks_skipped"]
    assert skipped and skipped[0].severity == "info"


def test_generator_with_validation_arrays_probes_the_validation_data():
    def data():
        return dict(
            x=_generator(X, Y), steps_per_epoch=12, validation_data=(X[:256], Y[:256])
        )

    history, _ = _same_run(mlp, data)
    assert "dead_fraction" in history and "gradient_ratio" in history


def test_arrays_with_dropout_and_batchnorm_are_bit_identical():
    history, _ = _same_run(with_dropout_and_bn, arrays, epochs=3)
    for key in ("dead_fraction", "gradient_ratio", "update_ratio"):
        assert key in history, key


def test_sequential_without_input_is_watched_from_the_first_epoch():
    history, sitter = _same_run(lambda: mlp(with_input=False), arrays)
    assert "dead_fraction" in history and "gradient_ratio" in history
    assert not [f for f in sitter.findings if f.check.endswith("_skipped")]


def test_nested_models_are_watched_inside():
    history, sitter = _same_run(nested_functional, arrays)
    watched = [name for name, _ in sitter.monitors[1]._shared_probe[0].layers]
    assert watched == ["outer_0", "seq_0", "inner_0", "inner_1"]
    assert "dead_fraction/inner_1" in history


def test_progress_line_keeps_only_summary_figures_unless_asked(capsys):
    x, y = blobs()
    for log_layers in (False, True):
        keras.utils.set_random_seed(0)
        model = mlp()
        model.compile("adam", "sparse_categorical_crossentropy")
        sitter = Babysitter(verbose=0, log_layers=log_layers)
        history = model.fit(x, y, epochs=1, verbose=2, callbacks=[sitter])
        line = capsys.readouterr().out
        assert ("dead_fraction/hidden_0" in line) is log_layers
        assert ("dead_fraction/hidden_0" in history.history) is log_layers
        assert "dead_fraction" in history.history
        assert len(sitter.figures["dead_fraction/hidden_0"]) == 1


def test_findings_start_on_a_new_line_under_a_progress_bar(capsys):
    x, y = blobs()
    model = mlp()
    model.layers[0].bias.assign(np.full((16,), -50.0, "float32"))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=1, callbacks=[Babysitter(verbose=1)])
    out = capsys.readouterr().out
    for line in out.splitlines():
        if "Babysitter:" in line:
            assert line.lstrip("\r\b ").startswith("Babysitter:"), line


def test_nothing_is_printed_when_nothing_is_asked():
    # A k-fold loop of fits long enough for the probe to be traced, in a
    # subprocess: TensorFlow's "retracing" warning goes to the process's
    # stderr, out of pytest's reach.
    code = (
        "import numpy as np, keras\n"
        "from callbacks import Babysitter\n"
        "x = np.random.default_rng(0).normal(size=(256, 8)).astype('float32')\n"
        "y = (x[:, 0] > 0).astype('int32')\n"
        "for _ in range(6):\n"
        "    m = keras.Sequential([keras.Input((8,)),"
        " keras.layers.Dense(16, activation='relu'),"
        " keras.layers.Dense(16, activation='relu'),"
        " keras.layers.Dense(2, activation='softmax')])\n"
        "    m.compile('adam', 'sparse_categorical_crossentropy')\n"
        "    m.fit(x, y, epochs=8, verbose=0, callbacks=[Babysitter(verbose=0)])\n"
    )
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == ""
    assert "retracing" not in out.stderr


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_callbacks_import_no_tensorflow_on_other_backends(backend):
    pytest.importorskip(backend)
    code = (
        TINY_FIT_PROGRAM
        + "m.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.Babysitter()])\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=backend)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


# ---- more shapes: each runs bit-identical with its figures in History -------
class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.out = keras.layers.Dense(2, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


def two_inputs():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h = keras.layers.Concatenate()([a, b])
    h = keras.layers.Dense(16, activation="relu", name="hidden")(h)
    out_1 = keras.layers.Dense(2, activation="softmax", name="cls")(h)
    out_2 = keras.layers.Dense(1, name="reg")(h)
    return keras.Model({"a": a, "b": b}, {"cls": out_1, "reg": out_2})


def masked_lstm():
    return keras.Sequential(
        [
            keras.Input((6, 4)),
            keras.layers.Masking(0.0),
            keras.layers.LSTM(8),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def _compile(model, **kw):
    model.compile("adam", "sparse_categorical_crossentropy", **kw)
    return model


SHAPES = {
    "subclassed": (lambda: _compile(Subclassed()), lambda: dict(x=X, y=Y)),
    "multi_input_output": (None, None),  # built in _fit_compiled
    "lstm_masking": (
        lambda: _compile(masked_lstm()),
        lambda: dict(x=np.repeat(X[:, None, :4], 6, axis=1), y=Y),
    ),
    "class_and_sample_weights": (
        lambda: _compile(mlp()),
        lambda: dict(x=X, y=Y, sample_weight=np.linspace(0.5, 1.5, len(X))),
    ),
    "from_logits": (
        lambda: mlp_logits(),
        lambda: dict(x=X, y=Y, validation_data=(X[:128], Y[:128])),
    ),
}


def mlp_logits():
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, "relu"), keras.layers.Dense(2)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit_compiled(name, with_sitter):
    keras.utils.set_random_seed(0)
    if name == "multi_input_output":
        model = two_inputs()
        model.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"})
        data = dict(
            x={"a": X[:, :4], "b": X[:, 4:]},
            y={"cls": Y, "reg": X[:, :1]},
        )
    else:
        model = SHAPES[name][0]()
        data = SHAPES[name][1]()
    sitter = Babysitter(verbose=0) if with_sitter else None
    history = model.fit(
        **data,
        epochs=2,
        batch_size=32,
        verbose=0,
        callbacks=[sitter] if sitter else [],
    )
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    keras.backend.clear_session()
    return history.history, weights, sitter


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_more_shapes_run_bit_identical(name):
    plain, plain_w, _ = _fit_compiled(name, False)
    seen, seen_w, sitter = _fit_compiled(name, True)
    assert plain["loss"] == seen["loss"]
    for a, b in zip(plain_w, seen_w):
        np.testing.assert_array_equal(a, b)
    for key, values in seen.items():
        assert len(values) == 2, key
    skipped = {f.check for f in sitter.findings if f.check.endswith("_skipped")}
    if name == "subclassed":
        assert "activation_checks_skipped" in skipped
    else:
        assert "dead_fraction" in seen, sorted(seen)


def test_a_pretrained_base_reused_in_a_new_model_is_watched_inside():
    # fine-tuning: the base was first called in its pretraining model, so its
    # first call's tensors belong to another graph
    x = np.random.default_rng(0).normal(size=(128, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    inp = keras.Input((8,))
    h = keras.layers.Dense(16, activation="relu", name="block1")(inp)
    base = keras.Model(inp, keras.layers.Dense(8, activation="relu", name="block2")(h))
    pre = keras.Sequential([base, keras.layers.Dense(2, activation="softmax")])
    pre.compile("adam", "sparse_categorical_crossentropy")
    pre.fit(x, y, epochs=1, verbose=0)
    base.get_layer("block1").trainable = False
    new_in = keras.Input((8,))
    out = keras.layers.Dense(2, activation="softmax")(base(new_in))
    model = keras.Model(new_in, out)
    model.compile("adam", "sparse_categorical_crossentropy")
    sitter = Babysitter(verbose=0)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])
    assert not [f for f in sitter.findings if f.check == "activation_checks_skipped"]
    assert {"dead_fraction/block1", "dead_fraction/block2"} <= set(sitter.figures)


# ---- a custom train_step, jit_compile, mixed precision, Keras' callbacks ----
class CustomStep(keras.Sequential):
    """`train_step` written by hand, the way Keras' guide does it per backend."""

    def train_step(self, *args):
        if BACKEND == "jax":
            return self._jax_step(*args)
        x, y = args[0][:2] if isinstance(args[0], tuple) else args[0]
        if BACKEND == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
        else:
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            loss.backward()
            grads = [v.value.grad for v in self.trainable_weights]
        self.optimizer.apply(grads, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def _jax_step(self, state, data):
        import jax

        trainable, fixed, opt_vars, metric_vars = state
        x, y = data[:2]

        def loss_fn(trainable, fixed):
            y_pred, fixed = self.stateless_call(trainable, fixed, x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            return loss, (y_pred, fixed)

        (loss, (y_pred, fixed)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            trainable, fixed
        )
        trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
        new_metric_vars, logs, at = [], {}, 0
        for metric in self.metrics:
            n = len(metric.variables)
            values = metric_vars[at : at + n]
            at += n
            if metric.name == "loss":
                values = metric.stateless_update_state(values, loss)
            else:
                values = metric.stateless_update_state(values, y, y_pred)
            logs[metric.name] = metric.stateless_result(values)
            new_metric_vars += values
        return logs, (trainable, fixed, opt_vars, new_metric_vars)


def custom_step():
    return CustomStep(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="hidden_0"),
            keras.layers.Dense(2, activation="softmax", name="out"),
        ]
    )


def _fit_with(build, with_sitter, *, compile_kw=None, fit_kw=None, policy=None):
    previous = keras.config.dtype_policy()
    if policy:
        keras.config.set_dtype_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(
            "adam",
            "sparse_categorical_crossentropy",
            metrics=["accuracy"],
            **(compile_kw or {}),
        )
        sitter = Babysitter(verbose=0) if with_sitter else None
        kw = dict(x=X, y=Y, batch_size=32, epochs=3, verbose=0, validation_split=0.25)
        kw.update(fit_kw() if callable(fit_kw) else fit_kw or {})
        kw["callbacks"] = kw.get("callbacks", []) + ([sitter] if sitter else [])
        history = model.fit(**kw)
        weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    finally:
        keras.config.set_dtype_policy(previous)
        keras.backend.clear_session()
    return history.history, weights, sitter


def _keras_callbacks(folder):
    return lambda: dict(
        epochs=4,
        callbacks=[
            keras.callbacks.EarlyStopping(patience=1, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.5),
            keras.callbacks.ModelCheckpoint(str(folder / "best.keras")),
            keras.callbacks.BackupAndRestore(str(folder / "backup")),
            keras.callbacks.CSVLogger(str(folder / "log.csv")),
            keras.callbacks.TerminateOnNaN(),
        ],
    )


IMAGES = np.random.default_rng(2).normal(size=(len(X), 8, 8, 1)).astype("float32")
IMAGES[Y == 1, :4] += 1.0  # the top half is brighter in class 1
SEQUENCES = np.repeat(X[:, None, :], 6, axis=1) * np.linspace(0.5, 1.5, 6)[:, None]


def augmented_cnn():
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomTranslation(0.1, 0.1),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def transformer_block():
    inp = keras.Input((6, 8))
    att = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    x = keras.layers.LayerNormalization()(inp + att)
    ffn = keras.layers.Dense(16, activation="relu", name="ffn")(x)
    x = keras.layers.LayerNormalization()(x + keras.layers.Dense(8)(ffn))
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))


def gru():
    return keras.Sequential(
        [
            keras.Input((6, 8)),
            keras.layers.GRU(8),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


MORE = {
    "augmentation_layers": dict(build=augmented_cnn, fit_kw=dict(x=IMAGES)),
    "transformer_block": dict(build=transformer_block, fit_kw=dict(x=SEQUENCES)),
    "gru": dict(build=gru, fit_kw=dict(x=SEQUENCES)),
    "custom_train_step": dict(build=custom_step),
    "jit_compile": dict(build=mlp, compile_kw=dict(jit_compile=True)),
    "mixed_precision": dict(build=mlp, policy="mixed_float16"),
    "mixed_bfloat16": dict(build=mlp, policy="mixed_bfloat16"),
    "keras_callbacks": dict(build=mlp, fit_kw="folder"),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_custom_step_jit_mixed_precision_and_keras_callbacks_are_bit_identical(
    name, tmp_path
):
    if name == "jit_compile" and BACKEND == "torch":
        pytest.skip("jit_compile on PyTorch is torch.compile, not run in CI")
    case = dict(MORE[name])
    runs = []
    for with_sitter in (False, True):
        if case.get("fit_kw") == "folder":
            folder = tmp_path / str(with_sitter)
            folder.mkdir()
            case_kw = dict(case, fit_kw=_keras_callbacks(folder))
        else:
            case_kw = case
        runs.append(_fit_with(with_sitter=with_sitter, **case_kw))
    (plain, plain_w, _), (seen, seen_w, sitter) = runs
    assert plain["loss"] == seen["loss"]
    assert len(plain_w) == len(seen_w)
    for a, b in zip(plain_w, seen_w):
        np.testing.assert_array_equal(a, b)
    for key, values in seen.items():
        assert len(values) == len(plain["loss"]), key
    assert {"dead_fraction", "gradient_ratio"} <= set(seen), sorted(seen)
    assert not [f for f in sitter.findings if f.severity == "error"], sitter.findings
    if name == "keras_callbacks":
        assert (tmp_path / "True" / "log.csv").read_text().count("\n") == len(
            plain["loss"]
        ) + 1


def test_a_second_fit_with_the_same_babysitter_is_bit_identical():
    runs = []
    for with_sitter in (False, True):
        keras.utils.set_random_seed(0)
        model = mlp()
        model.compile("adam", "sparse_categorical_crossentropy")
        cbs = [Babysitter(verbose=0)] if with_sitter else []
        first = model.fit(X, Y, epochs=2, verbose=0, callbacks=cbs).history
        again = model.fit(X, Y, epochs=2, verbose=0, callbacks=cbs).history
        runs.append((first["loss"], again["loss"]))
        keras.backend.clear_session()
    assert runs[0] == runs[1]
    assert len(cbs[0].figures["dead_fraction"]) == 2  # the second fit's epochs


def test_a_k_fold_loop_is_bit_identical_fold_by_fold():
    folds = np.array_split(np.arange(len(X)), 3)
    runs = []
    for with_sitter in (False, True):
        losses = []
        for k, held in enumerate(folds):
            train = np.setdiff1d(np.arange(len(X)), held)
            keras.utils.set_random_seed(k)
            model = mlp()
            model.compile("adam", "sparse_categorical_crossentropy")
            cbs = [Babysitter(verbose=0)] if with_sitter else []
            history = model.fit(
                X[train],
                Y[train],
                validation_data=(X[held], Y[held]),
                epochs=2,
                verbose=0,
                callbacks=cbs,
            )
            losses.append(history.history["val_loss"])
            keras.backend.clear_session()
        runs.append(losses)
    assert runs[0] == runs[1]  # fold by fold, epoch by epoch: bit-identical


def test_tensorboard_companion_keeps_the_run_bit_identical(tmp_path):
    # BabysitterTensorBoard (issue 18) beside the Babysitter: same loss and
    # weights as the plain fit, on a shuffled fit with Dropout and BN.
    from callbacks import BabysitterTensorBoard

    def fit(board):
        keras.utils.set_random_seed(0)
        model = with_dropout_and_bn()
        model.compile("adam", "sparse_categorical_crossentropy")
        sitter = Babysitter(verbose=0)
        extra = [BabysitterTensorBoard(tmp_path, babysitter=sitter)] if board else []
        history = model.fit(**arrays(), epochs=3, verbose=0, callbacks=[sitter, *extra])
        weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
        keras.backend.clear_session()
        return history.history["loss"], weights, extra

    plain, plain_w, _ = fit(False)
    seen, seen_w, (board,) = fit(True)
    assert plain == seen  # exact: bit-identical
    for a, b in zip(plain_w, seen_w):
        np.testing.assert_array_equal(a, b)
    assert board.steps == [0, 1, 2, 3] and os.path.getsize(board.path) > 1000
