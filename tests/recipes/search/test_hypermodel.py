import keras_tuner
import numpy as np
import pytest

from recipes.search import narrowing as _narrowing
from recipes.search import space as _search_space
from recipes.search.hypermodel import RecipeHyperModel


@pytest.fixture
def iris():
    from recipes import datasets

    return datasets.load("iris")


def _space(hp):
    return {p.name: p for p in hp.space}


def test_defaults_cover_the_lecture_ranges(iris):
    hm = RecipeHyperModel("mlp", x_train=iris.x_train, y_train=iris.y_train)
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    space = _space(hp)
    assert set(space) == {
        "learning_rate",
        "l2",
        "dropout",
        "units",
        "depth",
        "batch_size",
        "batch_norm",
    }
    lr, l2 = space["learning_rate"], space["l2"]
    assert (lr.min_value, lr.max_value, lr.sampling) == (1e-4, 1e-1, "log")
    assert (l2.min_value, l2.max_value, l2.sampling) == (1e-6, 1e-2, "log")
    assert list(space["batch_size"].values) == [32, 64, 128, 256]
    # BatchNormalization is searched, on first: the default trial keeps it.
    assert list(space["batch_norm"].values) == [True, False]
    assert "bn_0" in [layer.name for layer in model.layers]
    # KerasTuner stores the choice as 1/0; a trial that drew 0 builds without BN.
    hp_off = keras_tuner.HyperParameters()
    hp_off.Choice("batch_norm", [True, False])
    hp_off.values["batch_norm"] = 0
    plain = hm.build(hp_off)
    assert "bn_0" not in [layer.name for layer in plain.layers]
    assert plain.get_layer("dense_0").use_bias
    units = space["units"]
    assert (units.min_value, units.max_value, units.sampling) == (256, 1024, "log")
    # Defaults of an empty `hp` are the lower bounds: one layer of 256 units.
    assert model.get_layer("dense_0").units == 256
    assert "dense_1" not in [layer.name for layer in model.layers]
    assert hm.num_classes == 3 and hm.input_shape == (4,)


def test_overrides_narrow_fix_drop_and_add(iris):
    hm = RecipeHyperModel(
        "mlp",
        x_train=iris.x_train,
        y_train=iris.y_train,
        search_space={
            "learning_rate": (1e-3, 1e-2),
            "units": 16,
            "depth": 2,
            "dropout": None,
            "activation": ["elu", "relu"],
        },
    )
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    space = _space(hp)
    assert "dropout" not in space
    assert space["learning_rate"].sampling == "log"  # kept from the default
    assert space["learning_rate"].min_value == 1e-3
    assert isinstance(space["units"], keras_tuner.engine.hyperparameters.Fixed)
    assert [model.get_layer(f"dense_{i}").units for i in range(2)] == [16, 16]
    assert model.get_layer("elu_0") is not None  # first choice is the default
    import inspect

    from recipes import build_mlp

    default = inspect.signature(build_mlp).parameters["dropout"].default
    assert model.get_layer("dropout_0").rate == pytest.approx(default)
    assert hm.search_space["units"] == 16


def test_fit_takes_batch_size_from_hp(iris):
    hm = RecipeHyperModel("mlp", x_train=iris.x_train, y_train=iris.y_train)
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    hp.values["batch_size"] = 64
    history = hm.fit(hp, model, iris.x_train, iris.y_train, epochs=1, verbose=0)
    assert history.params["steps"] == int(np.ceil(len(iris.x_train) / 64))


def test_cnn_width_doubles_per_block():
    from recipes import datasets

    data = datasets.load("digits")
    hm = RecipeHyperModel(
        "cnn",
        data.input_shape,
        data.num_classes,
        x_train=data.x_train[:64],
        search_space={"filters": 8, "depth": 2},
    )
    model = hm.build(keras_tuner.HyperParameters())
    assert [model.get_layer(f"conv_{i}").filters for i in range(2)] == [8, 16]


def test_default_values_are_the_builders_own(iris):
    hm = RecipeHyperModel("mlp", x_train=iris.x_train, y_train=iris.y_train)
    assert hm.default_values() == {
        "learning_rate": 1e-3,
        "l2": 1e-4,
        "dropout": 0.5,
        "units": 1024,
        "depth": 2,
        "batch_size": 32,
        "batch_norm": True,
    }
    # builder_kwargs change what "untuned" means; added names use the builder's.
    hm = RecipeHyperModel(
        "mlp",
        x_train=iris.x_train,
        y_train=iris.y_train,
        search_space={"activation": ["relu", "elu"], "batch_size": None},
        builder_kwargs={"dropout": 0.2, "learning_rate": 3e-3},
    )
    values = hm.default_values()
    assert values["dropout"] == 0.2 and values["learning_rate"] == 3e-3
    assert values["activation"] == "relu" and "batch_size" not in values
    cnn = RecipeHyperModel("cnn", (8, 8, 1), 10).default_values()
    assert (cnn["filters"], cnn["depth"]) == (32, 3)
    assert "batch_norm" not in cnn  # the CNN keeps BatchNormalization


@pytest.mark.parametrize(
    "space, error",
    [
        ({"learning_rate": (1e-2, 1e-3)}, ValueError),  # inverted
        ({"learning_rate": (1e-3, 1e-3)}, ValueError),  # empty
        ({"l2": (0.0, 1e-2)}, ValueError),  # log range from 0
        ({"dropout": (0.1, 1.5)}, ValueError),  # beyond its limits
        ({"batch_size": []}, ValueError),
        ({"momentum": (0.8, 0.99)}, ValueError),  # not a build_mlp argument
        ({"learning_rate": {"min": 1e-3}}, TypeError),
    ],
)
def test_bad_search_space(iris, space, error):
    with pytest.raises(error, match="Received"):
        RecipeHyperModel(
            "mlp", x_train=iris.x_train, y_train=iris.y_train, search_space=space
        )


def test_unknown_builder(iris):
    with pytest.raises(ValueError, match="builder"):
        RecipeHyperModel("resnet", x_train=iris.x_train, y_train=iris.y_train)


def test_narrow_around_best_trials():
    specs = _search_space.resolve("mlp")
    best = [
        {
            "learning_rate": 1e-3,
            "l2": 1e-5,
            "dropout": 0.2,
            "units": 256,
            "depth": 2,
            "batch_size": 64,
        },
        {
            "learning_rate": 3e-3,
            "l2": 1e-4,
            "dropout": 0.4,
            "units": 512,
            "depth": 2,
            "batch_size": 128,
        },
    ]
    new = _narrowing.narrow(specs, best, margin=0.1)
    lr = new["learning_rate"]
    # log width 3 decades; 10 % margin = 0.3 decades each side of [1e-3, 3e-3]
    assert lr.low == pytest.approx(1e-3 / 10**0.3, rel=1e-3)
    assert lr.high == pytest.approx(3e-3 * 10**0.3, rel=1e-3)
    assert lr.sampling == "log"
    assert new["dropout"].low == pytest.approx(0.13)  # 0.2 - 0.1 * 0.7
    assert new["dropout"].high == pytest.approx(0.47)
    assert new["depth"].kind == "fixed" and new["depth"].values == (2,)
    assert new["batch_size"].values == (64, 128)
    assert 128 < new["units"].low <= 256 and 512 <= new["units"].high < 1024
    # Never beyond the old range, however wide the margin.
    wide = _narrowing.narrow(specs, best, margin=0.9)
    assert wide["learning_rate"].low == 1e-4 and wide["learning_rate"].high == 1e-1


def test_edge_positions():
    specs = _search_space.resolve("mlp")
    values = {
        "learning_rate": 0.08,
        "l2": 2e-6,
        "dropout": 0.01,
        "units": 300,
        "depth": 3,
        "batch_size": 32,
    }
    edges = {(n, side) for n, side, _, _ in _narrowing.edge_positions(specs, values)}
    # dropout 0 is a hard limit and depth 1..3 too small a range to judge.
    assert edges == {("learning_rate", "high"), ("l2", "low")}


def test_a_hypermodel_without_data_is_a_space_that_cannot_build_yet():
    hm = RecipeHyperModel("mlp", search_space={"depth": 1, "units": 8})
    assert hm.input_shape is None and hm.num_classes is None
    assert hm.search_space["depth"] == 1 and hm.search_space["units"] == 8
    with pytest.raises(ValueError, match="Building needs the data's shape"):
        hm.build(keras_tuner.HyperParameters())


@pytest.mark.parametrize(
    "kwargs, error, says",
    [
        (
            {"builder_kwargs": {"l2": 0.1}},
            TypeError,
            "builder=recipes.RecipeHyperModel\\('mlp', builder_kwargs=",
        ),
        (
            {"builder": RecipeHyperModel("mlp"), "search_space": {"depth": 1}},
            ValueError,
            "carries its own search space",
        ),
        (
            {"builder": RecipeHyperModel("mlp", (3,), 3)},
            ValueError,
            r"made for inputs of shape \(3,\), but x has \(4,\)",
        ),
        ({"builder": "resnet"}, ValueError, "or a RecipeHyperModel"),
        ({"max_trial": 3}, TypeError, "unexpected keyword argument 'max_trial'"),
    ],
)
def test_tune_takes_a_builder_name_or_a_hypermodel(iris, tmp_path, kwargs, error, says):
    from recipes.search.tuning import tune

    with pytest.raises(error, match=says) as info:
        tune(iris.x_train, iris.y_train, directory=str(tmp_path), **kwargs)
    assert "Received" in str(info.value) or "unexpected" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # refused before any file or trial


def test_tune_searches_the_hypermodels_space_and_fixed_arguments(iris, tmp_path):
    from recipes.search.tuning import tune

    hm = RecipeHyperModel(
        "mlp",
        search_space={"units": (8, 16), "depth": 1, "batch_size": 32},
        builder_kwargs={"dropout": 0.0},
    )
    result = tune(
        iris.x_train,
        iris.y_train,
        validation_data=iris.validation_data,
        cv=None,
        builder=hm,
        stages=[{"trials": 1, "epochs": 1}],
        directory=str(tmp_path),
        babysit=False,
    )
    assert result.search_spaces[0] == hm.search_space
    assert result.hypermodel.builder_kwargs == {"dropout": 0.0}
    assert result.task == "classification"
    model = result.best_model()
    assert not [layer for layer in model.layers if "dropout" in layer.name]
