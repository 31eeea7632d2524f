"""The probe: a small fixed sample of the data and a model exposing activations.

Private to `callbacks`. One thing in four modules:

- `data`: the sample, read from the data given to `fit` without changing the
  run (`take_sample`, `fit_arguments`, `sample_count`);
- `model`: which layers are watched (`activation_kind`) and the Keras model
  returning their outputs (`Stage`);
- `probe`: `Probe`, the sample and its model, built once per `fit` and called
  directly (`make_probe`);
- `monitor`: `ProbeMonitor`, the base class of the monitors that check the
  probe's activations.

Example:

>>> import numpy as np
>>> from callbacks._probe import sample_count, take_sample
>>> x = {"pixels": np.zeros((10, 2)), "age": np.zeros((10, 1))}
>>> sample_count(take_sample(x, None, size=4)[0])
4
"""

from callbacks._probe.data import fit_arguments, sample_count, take_sample
from callbacks._probe.model import NOT_BUILT, activation_kind
from callbacks._probe.monitor import ProbeMonitor
from callbacks._probe.probe import Probe, make_probe

__all__ = [
    "NOT_BUILT",
    "Probe",
    "ProbeMonitor",
    "activation_kind",
    "fit_arguments",
    "make_probe",
    "sample_count",
    "take_sample",
]
