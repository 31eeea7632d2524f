"""Data for the diagnosis suite (`benchmarks/diagnosis.py`): small, local, seeded.

Every loader returns float32 inputs and int (or float32) targets, split with
`random_state=seed` so each seed of a case sees a different split, as a user
re-running their script with another seed would. Nothing is downloaded:
scikit-learn's bundled sets, its generators, MNIST-1D made locally
(`make_dataset`, never `get_dataset`) and synthetic token sequences.
"""

import functools

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split


def split(x, y, seed, test=0.2, stratify=True):
    """`(x_train, x_val, y_train, y_val)`, stratified for class labels."""
    return train_test_split(
        x, y, test_size=test, random_state=seed, stratify=y if stratify else None
    )


def standardize(xt, xv):
    """Standardizes with the training split's mean/std (constant columns: std 1)."""
    mean, std = xt.mean(0), xt.std(0)
    std = np.where(std < 1e-6, 1.0, std)
    return ((xt - mean) / std).astype("float32"), ((xv - mean) / std).astype("float32")


def digits(seed, scale="standard"):
    """8x8 digits, 1,437/360. `scale`: "standard", "unit" (/16) or "raw" (0..16)."""
    x, y = skd.load_digits(return_X_y=True)
    xt, xv, yt, yv = split(x.astype("float32"), y, seed)
    if scale == "standard":
        xt, xv = standardize(xt, xv)
    elif scale == "unit":
        xt, xv = xt / 16.0, xv / 16.0
    return xt, xv, yt, yv


def digits_images(seed, pixels="unit"):
    """Digits as (n, 8, 8, 1) images; `pixels`: "unit" (0..1) or "255" (0..255)."""
    xt, xv, yt, yv = digits(seed, scale="raw")
    factor = 1.0 / 16.0 if pixels == "unit" else 255.0 / 16.0
    xt, xv = (np.round(a * factor, 4).astype("float32") for a in (xt, xv))
    return xt.reshape(-1, 8, 8, 1), xv.reshape(-1, 8, 8, 1), yt, yv


@functools.lru_cache(maxsize=1)
def _mnist1d():
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())  # made locally, 4,000 + 1,000, 40 steps
    return (
        d["x"].astype("float32"),
        d["x_test"].astype("float32"),
        d["y"].astype("int64"),
        d["y_test"].astype("int64"),
    )


def mnist1d(seed, n_train=4000):
    """MNIST-1D (40 features, 10 classes), its own test split as validation."""
    xt, xv, yt, yv = _mnist1d()
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(xt))[:n_train]
    return xt[idx], xv, yt[idx], yv


def tabular(name, seed, test=0.25):
    """wine / breast_cancer / iris, standardized on the training split."""
    loader = {
        "wine": skd.load_wine,
        "breast_cancer": skd.load_breast_cancer,
        "iris": skd.load_iris,
    }[name]
    x, y = loader(return_X_y=True)
    xt, xv, yt, yv = split(x.astype("float32"), y, seed, test=test)
    xt, xv = standardize(xt, xv)
    return xt, xv, yt, yv


def tabular_raw(name, seed, test=0.25):
    """Like `tabular` but unscaled."""
    loader = {"wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer}[name]
    x, y = loader(return_X_y=True)
    return split(x.astype("float32"), y, seed, test=test)


def diabetes(seed):
    """Diabetes regression, inputs and target standardized on the training split."""
    x, y = skd.load_diabetes(return_X_y=True)
    xt, xv, yt, yv = split(x.astype("float32"), y.astype("float32"), seed, 0.2, False)
    xt, xv = standardize(xt, xv)
    mu, sd = yt.mean(), yt.std()
    return (
        xt,
        xv,
        ((yt - mu) / sd).astype("float32"),
        ((yv - mu) / sd).astype("float32"),
    )


def friedman1(seed, n=2000):
    """make_friedman1 (10 features, 5 informative), inputs standardized."""
    x, y = skd.make_friedman1(n, noise=0.5, random_state=seed)
    xt, xv, yt, yv = split(x.astype("float32"), y.astype("float32"), seed, 0.2, False)
    xt, xv = standardize(xt, xv)
    return xt, xv, yt, yv


def circles(seed, n=1000, noise=0.1):
    x, y = skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    xt, xv, yt, yv = split(x.astype("float32"), y, seed)
    return standardize(xt, xv) + (yt, yv)  # tuple + tuple


def moons(seed, n=1000, noise=0.2):
    x, y = skd.make_moons(n, noise=noise, random_state=seed)
    xt, xv, yt, yv = split(x.astype("float32"), y, seed)
    return standardize(xt, xv) + (yt, yv)


def blobs_imbalanced(seed, n=3000, weights=(0.9, 0.07, 0.03)):
    """3 overlapping classes, 90/7/3 %, 20 features (make_classification)."""
    x, y = skd.make_classification(
        n,
        n_features=20,
        n_informative=8,
        n_classes=3,
        n_clusters_per_class=1,
        weights=list(weights),
        class_sep=1.0,
        random_state=seed,
    )
    xt, xv, yt, yv = split(x.astype("float32"), y, seed)
    return standardize(xt, xv) + (yt, yv)


def tokens(seed, n=2000, vocab=50, max_len=30, min_len=6, rule="order"):
    """Token sequences post-padded with 0 (`mask_zero=True`), variable lengths.

    `rule="order"`: ids 3..vocab-1 are filler; every sequence holds one 1 and
    one 2 at random positions; label = does 1 come before 2 (a bag of words
    cannot learn it). `rule="sentiment"`: ids 1..24 are "positive" words,
    25..vocab-1 "negative", drawn with a per-sequence bias; label = more
    positive than negative words.
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((n, max_len), "int32")
    y = np.zeros(n, "int64")
    for i in range(n):
        length = rng.integers(min_len, max_len + 1)
        if rule == "order":
            seq = rng.integers(3, vocab, size=length)
            a, b = rng.choice(length, size=2, replace=False)
            seq[a], seq[b] = 1, 2
            y[i] = int(a < b)
        else:
            pos = rng.random(length) < rng.uniform(0.2, 0.8)
            seq = np.where(
                pos, rng.integers(1, 25, length), rng.integers(25, vocab, length)
            )
            y[i] = int(pos.sum() > length - pos.sum())
        x[i, :length] = seq
    k = int(n * 0.8)
    return x[:k], x[k:], y[:k], y[k:]


def count_features(seed, n=1200):
    """Tabular with count features (Poisson) and many exact repeated rows.

    A shop's "visits, purchases, returns, ..." table: 6 Poisson counts plus 2
    binary flags; the label is a noisy rule on them. A third of the rows are
    exact duplicates of others (repeat customers logged twice), as real
    exports often hold. Standardized on the training split.
    """
    rng = np.random.default_rng(seed)
    lam = np.array([3.0, 1.0, 0.5, 8.0, 2.0, 0.2])
    counts = rng.poisson(lam, size=(n, 6)).astype("float32")
    flags = rng.integers(0, 2, size=(n, 2)).astype("float32")
    x = np.concatenate([counts, flags], 1)
    score = 0.6 * counts[:, 1] - 0.4 * counts[:, 2] + 0.15 * counts[:, 3] - 1.2
    score += 0.8 * flags[:, 0] + rng.normal(0, 0.5, n)
    y = (score > 0).astype("int64")
    dup = rng.choice(n, size=n // 3)
    x, y = np.concatenate([x, x[dup]]), np.concatenate([y, y[dup]])
    xt, xv, yt, yv = split(x, y, seed)
    return standardize(xt, xv) + (yt, yv)


def multi_hot(seed, n=2000, features=20, labels=5):
    """Multi-label data: each of 5 tags is on when its own linear score > 0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features, labels))
    y = (x @ w + rng.normal(0, 0.5, (n, labels)) > 0.5).astype("float32")
    k = int(n * 0.8)
    return x[:k], x[k:], y[:k], y[k:]


def raw_scale_regression(seed, n=2000, price=False):
    """A house-price-like table: features on scales 1e0..1e4, target standardized.

    Area (m^2, ~100), year built (~1990), price per m^2 in a region (~3,000),
    distance to centre in metres (~5,000), rooms (~4); the target depends on
    all of them nonlinearly. `price=True`: the target in currency units
    instead (mean 350,000, std 120,000), as a sales table holds it.
    """
    rng = np.random.default_rng(seed)
    area = rng.normal(110, 35, n).clip(25)
    year = rng.integers(1900, 2024, n).astype(float)
    ppm = rng.normal(3000, 900, n).clip(500)
    dist = rng.gamma(2.0, 2500.0, n)
    rooms = rng.integers(1, 8, n).astype(float)
    y = area * ppm / 1e5 - dist / 2000 + (year - 1960) / 30 + 0.3 * rooms
    y += rng.normal(0, 0.3, n)
    x = np.stack([area, year, ppm, dist, rooms], 1).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    if price:
        y = (350_000 + 120_000 * y).astype("float32")
    k = int(n * 0.8)
    return x[:k], x[k:], y[:k], y[k:]
