"""Bundled, offline data sets with fixed, stratified train/validation/test splits.

Nothing here touches the network: scikit-learn ships digits, iris and breast
cancer, and MNIST-1D is generated locally with `mnist1d.data.make_dataset`
(never its downloading `get_dataset`).

Example:

>>> from recipes import datasets
>>> data = datasets.load("digits")
>>> data.x_train.shape[1:], data.num_classes
((8, 8, 1), 10)
"""

from __future__ import annotations

import dataclasses

import numpy as np

NAMES = ("digits", "iris", "breast_cancer", "mnist1d")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A data set split into train, validation and test arrays.

    Attributes:
        name: The data set's name.
        x_train, y_train, x_val, y_val, x_test, y_test: float32 inputs and
            int64 class labels.
        class_names: One name per class.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    @property
    def input_shape(self):
        """Shape of one example, without the batch axis."""
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self):
        """Number of classes."""
        return len(self.class_names)

    @property
    def validation_data(self):
        """`(x_val, y_val)`, ready for `model.fit(validation_data=...)`."""
        return self.x_val, self.y_val


def _split(x, y, *, test_size, val_size, seed):
    from sklearn.model_selection import train_test_split

    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size, stratify=y_rest, random_state=seed
    )
    return x_train, y_train, x_val, y_val, x_test, y_test


def _mnist1d(seed):
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = 42  # the published data set
    state = np.random.get_state()  # make_dataset reseeds numpy's global RNG
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    x, y = data["x"], data["y"]
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.15, stratify=y, random_state=seed
    )
    return x_train, y_train, x_val, y_val, data["x_test"], data["y_test"]


def load(name, *, flat=False, seed=0):
    """Loads a bundled data set with fixed, stratified splits.

    Splits are stratified by class and fixed by `seed`, so every run, model
    and benchmark sees the same examples. Inputs keep their natural shape:
    digits are `(8, 8, 1)` images, MNIST-1D `(40, 1)` sequences, iris and
    breast cancer flat feature vectors. No preprocessing is applied: fit it
    on `x_train` (see `recipes.preprocessing_layer`).

    Args:
        name: One of `"digits"` (1,797 8x8 images, 10 classes), `"iris"`
            (150 x 4, 3 classes), `"breast_cancer"` (569 x 30, 2 classes),
            `"mnist1d"` (5,000 length-40 signals, 10 classes; its published
            4,000/1,000 train/test split, 15 % of train held out).
        flat: Flatten each example to a vector. Defaults to `False`.
        seed: Seed of the train/validation(/test) split. Defaults to `0`.

    Returns:
        A `Dataset` with `x_train, y_train, x_val, y_val, x_test, y_test`,
        `class_names`, `input_shape` and `num_classes`.

    Raises:
        ValueError: If `name` is unknown.

    Example:

    >>> data = load("iris")
    >>> len(data.x_train) + len(data.x_val) + len(data.x_test)
    150
    """
    if name not in NAMES:
        raise ValueError(
            f"Unknown data set {name!r}. Expected one of {NAMES}. "
            f"Received: name={name!r}"
        )
    if name == "mnist1d":
        parts = _mnist1d(seed)
        class_names = tuple(str(i) for i in range(10))
        shape = (40, 1)
    else:
        from sklearn import datasets as skd

        bunch = {
            "digits": skd.load_digits,
            "iris": skd.load_iris,
            "breast_cancer": skd.load_breast_cancer,
        }[name]()
        x, y = bunch.data, bunch.target
        class_names = tuple(str(c) for c in bunch.target_names)
        shape = (8, 8, 1) if name == "digits" else x.shape[1:]
        parts = _split(x, y, test_size=0.2, val_size=0.15, seed=seed)
    xs = parts[0::2]
    ys = parts[1::2]
    if flat:
        shape = (int(np.prod(shape)),)
    xs = [np.asarray(a, dtype="float32").reshape((-1, *shape)) for a in xs]
    ys = [np.asarray(a, dtype="int64") for a in ys]
    return Dataset(
        name, xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], class_names=class_names
    )
