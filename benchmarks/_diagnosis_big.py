"""Healthy big models of the diagnosis suite: many layers, a nested base.

A fine-tuned `keras.applications.MobileNetV2` (35 ReLU6 layers in a nested
Functional base; `weights=None`, nothing is downloaded) and a hand-built
ResNet-style CNN of 12 residual blocks (25 conv layers), both on the digits
as small images. They train well, so any warning or error on them is a false
alarm; they are here for what big models bring: dozens of layers that share
a symptom, layers nested in a base model, BatchNormalization everywhere.
"""

import _diagnosis_data as data
import keras
import numpy as np
from _diagnosis_case import L, case, run_spec

H = "healthy"


def digit_images(seed, size, channels=1):
    """The digits as `size` x `size` images (nearest-neighbour upsampled from
    8 x 8), pixels 0..255, `channels` copies of the grey channel."""
    xt, xv, yt, yv = data.digits_images(seed, pixels="255")
    k = size // 8

    def grow(x):
        x = np.repeat(np.repeat(x, k, axis=1), k, axis=2)
        return np.repeat(x, channels, axis=-1).astype("float32")

    return grow(xt), grow(xv), yt, yv


@case(
    H,
    "fine-tuned keras.applications.MobileNetV2 (weights=None, 32x32x3, pooling avg) "
    "as a nested base + Dense head on digits; BN momentum 0.9 for few steps, Adam",
)
def healthy_finetune_mobilenetv2(seed):
    xt, xv, yt, yv = digit_images(seed, 32, channels=3)
    prep = keras.applications.mobilenet_v2.preprocess_input  # 0..255 -> -1..1
    xt, xv = prep(xt), prep(xv)
    base = keras.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg"
    )
    # Its BatchNormalization momentum is 0.999: tuned for ImageNet's 40,000
    # steps an epoch, its moving statistics would lag for hundreds of steps
    # here (45 an epoch). The usual change for a small dataset:
    for layer in base.layers:
        if isinstance(layer, L.BatchNormalization):
            layer.momentum = 0.9
    inputs = keras.Input((32, 32, 3))
    x = base(inputs)
    x = L.Dropout(0.2)(x)
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(x))
    model.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=3, batch_size=32)


_CONV = dict(use_bias=False, kernel_initializer="he_normal")


def _residual_block(x, filters, stride, name):
    """Conv-BN-ReLU-Conv-BN, added to the (projected) input, then ReLU."""
    shortcut = x
    h = L.Conv2D(filters, 3, strides=stride, padding="same", **_CONV)(x)
    h = L.BatchNormalization()(h)
    h = L.ReLU(name=f"{name}_relu1")(h)
    h = L.Conv2D(filters, 3, padding="same", **_CONV)(h)
    h = L.BatchNormalization()(h)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=stride, **_CONV)(shortcut)
        shortcut = L.BatchNormalization()(shortcut)
    return L.ReLU(name=f"{name}_relu2")(L.Add()([h, shortcut]))


@case(
    H,
    "ResNet-style CNN, 12 residual blocks (25 conv layers, BN, He init), "
    "on 16x16 digit images; SGD momentum 0.9",
)
def healthy_resnet_cnn_many_layers(seed):
    xt, xv, yt, yv = digit_images(seed, 16)
    xt, xv = xt / 255.0, xv / 255.0
    inputs = keras.Input((16, 16, 1))
    x = L.Rescaling(2.0, offset=-1.0)(inputs)
    x = L.Conv2D(16, 3, padding="same", **_CONV)(x)
    x = L.ReLU(name="stem_relu")(L.BatchNormalization()(x))
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(4):
            stride = 2 if stage and not block else 1
            x = _residual_block(x, filters, stride, f"s{stage}b{block}")
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(x))
    model.compile(
        keras.optimizers.SGD(0.05, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return run_spec(model, xt, yt, validation_data=(xv, yv), epochs=6, batch_size=32)
