"""Healthy programs of the diagnosis suite: they train well; any warning is false.

Written the way a Keras user writes them (keras.io examples' style), on
small local data; none is tuned to avoid an alarm.
"""

import _diagnosis_data as data
import keras
import numpy as np
import tensorflow as tf
from _diagnosis_case import L, case, dense_net, run_spec
from sklearn.utils.class_weight import compute_class_weight

H = "healthy"


@case(H, "keras.io MNIST MLP (Dense 512 relu + Dropout 0.2, RMSprop) on digits / 16")
def healthy_mlp_digits_rmsprop(seed):
    xt, xv, yt, yv = data.digits(seed, scale="unit")
    model = keras.Sequential(
        [
            keras.Input((64,)),
            L.Dense(512, activation="relu"),
            L.Dropout(0.2),
            L.Dense(512, activation="relu"),
            L.Dropout(0.2),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.RMSprop(),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20, batch_size=128)


@case(
    H,
    "MLP (256-256 relu + Dropout 0.3, Adam 1e-3) on MNIST-1D with "
    "EarlyStopping(restore_best_weights) on val_loss",
)
def healthy_mlp_mnist1d_early_stopping(seed):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = keras.Sequential(
        [
            keras.Input((40,)),
            L.Dense(256, activation="relu"),
            L.Dropout(0.3),
            L.Dense(256, activation="relu"),
            L.Dropout(0.3),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=60,
        batch_size=128,
        callbacks=[stop],
    )


@case(H, "keras.io convnet (Conv2D+MaxPool+Dropout, Adam) on 8x8 digit images 0..1")
def healthy_convnet_digits(seed):
    xt, xv, yt, yv = data.digits_images(seed)
    yt, yv = keras.utils.to_categorical(yt, 10), keras.utils.to_categorical(yv, 10)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            L.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Conv2D(64, kernel_size=(3, 3), activation="relu", padding="same"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=64)


@case(
    H,
    "BatchNorm CNN, few steps per epoch (300 images, batch 64: 5 steps), momentum 0.9",
)
def healthy_bn_cnn_few_steps(seed):
    xt, xv, yt, yv = data.digits_images(seed)
    xt, yt = xt[:300], yt[:300]
    inp = keras.Input((8, 8, 1))
    x = inp
    for filters in (32, 64):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization(momentum=0.9)(x)  # few steps: faster statistics
        x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    model.compile(
        keras.optimizers.Adam(3e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=40, batch_size=64)


def _text_model(rnn, out_units, vocab=50):
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            L.Embedding(vocab, 32, mask_zero=True),
            rnn,
            L.Dense(out_units, activation="sigmoid" if out_units == 1 else "softmax"),
        ]
    )
    return model


@case(H, "LSTM text classifier, Embedding(mask_zero=True), padded token ids, sigmoid")
def healthy_lstm_text(seed):
    xt, xv, yt, yv = data.tokens(seed)
    model = _text_model(L.LSTM(32), 1)
    model.compile(
        keras.optimizers.Adam(3e-3), "binary_crossentropy", metrics=["accuracy"]
    )
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=12, batch_size=64, task="binary"
    )


@case(H, "GRU text classifier, Embedding(mask_zero=True), 2-way softmax")
def healthy_gru_text(seed):
    xt, xv, yt, yv = data.tokens(seed)
    model = _text_model(L.GRU(32), 2)
    model.compile(
        keras.optimizers.Adam(3e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=12, batch_size=64)


@keras.saving.register_keras_serializable(package="benchmarks")
class TokenAndPositionEmbedding(L.Layer):
    """keras.io "Text classification with Transformer": token + position embeddings."""

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = L.Embedding(vocab_size, embed_dim)
        self.pos_emb = L.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = keras.ops.arange(0, keras.ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions)

    def get_config(self):
        return {
            **super().get_config(),
            "maxlen": self.maxlen,
            "vocab_size": self.vocab_size,
            "embed_dim": self.embed_dim,
        }


@case(
    H, "small transformer block (MultiHeadAttention + LayerNorm), sentiment-like rule"
)
def healthy_transformer_text(seed):
    xt, xv, yt, yv = data.tokens(seed, rule="sentiment")
    inp = keras.Input((30,), dtype="int32")
    x = TokenAndPositionEmbedding(30, 50, 32)(inp)
    att = L.MultiHeadAttention(num_heads=2, key_dim=16)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(x + L.Dropout(0.1)(att))
    ffn = L.Dense(32)(L.Dense(64, activation="relu")(x))
    x = L.LayerNormalization(epsilon=1e-6)(x + L.Dropout(0.1)(ffn))
    x = L.GlobalAveragePooling1D()(x)
    x = L.Dropout(0.1)(L.Dense(32, activation="relu")(x))
    model = keras.Model(inp, L.Dense(2, activation="softmax")(x))
    model.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=64)


@case(H, "tabular MLP on wine (13 features, 133 rows), standardized, Adam")
def healthy_wine_mlp(seed):
    xt, xv, yt, yv = data.tabular("wine", seed)
    model = dense_net(13, [32, 32], 3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=40, batch_size=16)


@case(H, "binary classifier on breast_cancer: sigmoid + binary_crossentropy")
def healthy_breast_cancer_binary(seed):
    xt, xv, yt, yv = data.tabular("breast_cancer", seed)
    model = dense_net(30, [16], 1, out_act="sigmoid")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return run_spec(
        model, xt, yt, validation_data=(xv, yv), epochs=30, batch_size=32, task="binary"
    )


@case(H, "logistic (softmax) regression on iris, Adam 0.05")
def healthy_logreg_iris(seed):
    xt, xv, yt, yv = data.tabular("iris", seed, test=0.3)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    model.compile(
        keras.optimizers.Adam(0.05),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=30, batch_size=16)


@case(H, "count features (Poisson) with a third of rows exact duplicates, MLP")
def healthy_counts_repeated_rows(seed):
    xt, xv, yt, yv = data.count_features(seed)
    model = dense_net(8, [32, 16], 2)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=25, batch_size=32)


@case(H, "diabetes regression, standardized target, MSE, Adam", name="diabetes_mse")
def healthy_diabetes(seed):
    xt, xv, yt, yv = data.diabetes(seed)
    model = dense_net(10, [16], 1, out_act=None)  # 353 rows: a small net
    model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=["mae"])
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=40,
        batch_size=32,
        task="regression",
    )


@case(H, "make_friedman1 regression, MAE loss, Adam", name="friedman1_mae")
def healthy_friedman(seed):
    xt, xv, yt, yv = data.friedman1(seed)
    model = dense_net(10, [64, 64], 1, out_act=None)
    model.compile(keras.optimizers.Adam(3e-3), "mae", metrics=["mse"])
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=40,
        batch_size=32,
        task="regression",
    )


@case(H, "Normalization layer adapted on raw house-price features (1e0..1e4), MSE")
def healthy_normalization_layer_regression(seed):
    xt, xv, yt, yv = data.raw_scale_regression(seed)
    norm = L.Normalization()
    norm.adapt(xt)
    model = keras.Sequential(
        [
            keras.Input((5,)),
            norm,
            L.Dense(64, activation="relu"),
            L.Dense(64, activation="relu"),
            L.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=["mae"])
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=30,
        batch_size=32,
        task="regression",
    )


@case(H, "tf.data input: from_tensor_slices().shuffle(seed).batch(), digits MLP")
def healthy_tfdata_digits(seed):
    xt, xv, yt, yv = data.digits(seed)
    train = (
        tf.data.Dataset.from_tensor_slices((xt, yt))
        .shuffle(len(xt), seed=seed)
        .batch(32)
        .prefetch(tf.data.AUTOTUNE)
    )
    val = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(64)
    model = dense_net(64, [128, 64], 10, init="he_normal")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(
        model,
        train,
        validation_data=val,
        epochs=15,
        batch_size=None,
        eval_data=(xv, yv),
    )


class ArraySequence(keras.utils.PyDataset):
    """A keras.utils.PyDataset over arrays, reshuffled every epoch."""

    def __init__(self, x, y, batch_size, seed=0, shuffle=True, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.order = np.arange(len(x))
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, idx):
        rows = self.order[idx * self.batch_size : (idx + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)


@case(H, "keras.utils.PyDataset input (shuffling Sequence), digits MLP")
def healthy_pydataset_digits(seed):
    xt, xv, yt, yv = data.digits(seed)
    train = ArraySequence(xt, yt, 64, seed=seed)
    val = ArraySequence(xv, yv, 256, shuffle=False)
    model = dense_net(64, [128, 128], 10, init="he_normal")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(
        model,
        train,
        validation_data=val,
        epochs=20,
        batch_size=None,
        eval_data=(xv, yv),
    )


@case(
    H, "fine-tuning: a pretrained Functional base used as a layer, first block frozen"
)
def healthy_finetune_nested_base(seed):
    xt, xv, yt, yv = data.digits(seed)
    # 1. Pretrain a base + head on digits 0-4 only.
    inp = keras.Input((64,), name="pixels")
    h = L.Dense(128, activation="relu", name="block1")(inp)
    h = L.Dense(64, activation="relu", name="block2")(h)
    base = keras.Model(inp, h, name="base")
    pre = keras.Sequential([base, L.Dense(5, activation="softmax")])
    pre.compile("adam", "sparse_categorical_crossentropy")
    low = yt < 5
    pre.fit(xt[low], yt[low], epochs=8, batch_size=32, verbose=0)
    # 2. New model on all 10 digits: base as a layer, its first block frozen.
    base.get_layer("block1").trainable = False
    inputs = keras.Input((64,))
    x = base(inputs)
    x = L.Dropout(0.2)(x)
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(x))
    model.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=32)


@case(H, "tanh MLP (128-128) with SGD(0.05, momentum 0.9) on digits")
def healthy_tanh_sgd_momentum(seed):
    xt, xv, yt, yv = data.digits(seed)
    model = dense_net(64, [128, 128], 10, act="tanh")
    model.compile(
        keras.optimizers.SGD(0.05, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=32)


@case(H, "EarlyStopping(restore_best_weights) + ReduceLROnPlateau, MNIST-1D MLP")
def healthy_early_stopping_reduce_lr(seed):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = dense_net(40, [256, 128], 10, dropout=0.1)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    cbs = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=6, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
    ]
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=60,
        batch_size=128,
        callbacks=cbs,
    )


@case(H, "deeper ReLU MLP (7 x 128, He normal init, Adam) on digits")
def healthy_deep_relu_he(seed):
    xt, xv, yt, yv = data.digits(seed)
    model = dense_net(64, [128] * 7, 10, init="he_normal")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=15, batch_size=32)


@case(H, "imbalanced 3 classes (90/7/3 %) with class_weight='balanced'")
def healthy_class_weight_imbalanced(seed):
    xt, xv, yt, yv = data.blobs_imbalanced(seed)
    weights = compute_class_weight("balanced", classes=np.unique(yt), y=yt)
    model = dense_net(20, [64, 32], 3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=20,
        batch_size=64,
        class_weight=dict(enumerate(weights)),
    )


@case(H, "1-D convnet on MNIST-1D, linear head, from_logits=True loss")
def healthy_conv1d_from_logits(seed):
    xt, xv, yt, yv = data.mnist1d(seed)
    xt, xv = xt[..., None], xv[..., None]
    model = keras.Sequential(
        [
            keras.Input((40, 1)),
            L.Conv1D(32, 5, padding="same", activation="relu"),
            L.Conv1D(32, 5, padding="same", activation="relu"),
            L.MaxPooling1D(2),
            L.Conv1D(64, 3, padding="same", activation="relu"),
            L.GlobalMaxPooling1D(),
            L.Dense(10),
        ]
    )
    model.compile(
        keras.optimizers.Adam(2e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=20, batch_size=64)


@case(H, "Dense -> BatchNormalization -> ReLU MLP (default momentum), all of digits")
def healthy_bn_mlp_digits(seed):
    xt, xv, yt, yv = data.digits(seed)
    inp = keras.Input((64,))
    x = inp
    for width in (256, 256):
        x = L.Dense(width, use_bias=False, kernel_initializer="he_normal")(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=12, batch_size=32)


@case(H, "two moons binary classifier, sigmoid + binary_crossentropy, validation_split")
def healthy_moons_validation_split(seed):
    xt, xv, yt, yv = data.moons(seed)
    x, y = np.concatenate([xt, xv]), np.concatenate([yt, yv])  # already shuffled
    model = dense_net(2, [32, 32], 1, out_act="sigmoid")
    model.compile(
        keras.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"]
    )
    return run_spec(
        model, x, y, validation_split=0.2, epochs=30, batch_size=32, task="binary"
    )


@case(H, "multi-label tags: sigmoid head + binary_crossentropy on multi-hot targets")
def healthy_multilabel_sigmoid(seed):
    xt, xv, yt, yv = data.multi_hot(seed)
    model = dense_net(20, [64, 64], 5, out_act="sigmoid")
    model.compile(
        "adam",
        "binary_crossentropy",
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return run_spec(
        model,
        xt,
        yt,
        validation_data=(xv, yv),
        epochs=20,
        batch_size=32,
        task="multilabel",
    )


@case(H, "MNIST-1D MLP with L2 1e-4 and Dropout 0.3 (moderate regularization)")
def healthy_l2_dropout_mnist1d(seed):
    xt, xv, yt, yv = data.mnist1d(seed)
    model = dense_net(40, [256, 256], 10, dropout=0.3, l2=1e-4, init="he_normal")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=30, batch_size=128)
