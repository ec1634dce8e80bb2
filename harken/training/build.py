"""The spec's Keras model, untrained: one model, or an ensemble's members merged into one.

In: a :class:`~harken.spec.model_spec.ModelSpec` (architecture name or builder function, its
options, input shape, classes, seed, ``training.ensemble_size``). Out: Keras models whose initial
weights follow the seed. The low module of ``harken.training``: fitting, ensembles and summaries
(``harken.profile.summarize``) all build their models here. It does not compile or train.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from harken.errors import SettingsError
from harken.spec.model_spec import ModelSpec

MERGED_OUTPUT = "mean_probabilities"


def build_model_for_spec(spec: ModelSpec, *, seed: int | None = None):
    """The spec's (untrained) Keras model for ``spec.input_shape`` and its classes.

    Its initial weights and dropout draws follow ``seed`` (default: the spec's).
    """
    import keras

    from harken.models import build_model

    keras.utils.set_random_seed(spec.seed if seed is None else seed)
    arch = spec.model.architecture
    if isinstance(arch, str):
        return build_model(arch, input_shape=spec.input_shape, num_classes=spec.num_classes, **spec.model.options)
    model = arch(spec.input_shape, spec.num_classes, **spec.model.options)
    if tuple(model.input_shape[1:]) != spec.input_shape or model.output_shape[-1] != spec.num_classes:
        raise SettingsError(f"model builder {arch.__name__} gave input {model.input_shape} / output "
                            f"{model.output_shape}; the spec needs {spec.input_shape} -> {spec.num_classes} classes")
    return model


def member_spec(spec: ModelSpec, index: int) -> ModelSpec:
    """The spec ensemble member ``index`` trains: the same settings, one model, seed ``spec.seed + index``."""
    member = copy.deepcopy(spec)
    member.seed = int(spec.seed) + int(index)
    member.training.ensemble_size = 1
    return member


def merge_members(members: Sequence, name: str = "ensemble"):
    """One Keras model running every member on the same input and averaging their probabilities.

    The members' layers are copied under ``m<i>_`` names (names must be unique in one model), so
    the members themselves are left as they are.
    """
    import keras

    if not members:
        raise ValueError("merge_members needs at least one model")
    shape = tuple(members[0].input_shape[1:])
    if any(tuple(m.input_shape[1:]) != shape or m.output_shape[-1] != members[0].output_shape[-1] for m in members):
        raise ValueError("merge_members: the models differ in input shape or number of classes")
    x = keras.Input(shape, name="input")
    outputs = []
    for i, member in enumerate(members):
        copied = keras.models.clone_model(member, clone_function=lambda layer, i=i: layer.__class__.from_config(
            {**layer.get_config(), "name": f"m{i}_{layer.name}"}))
        copied.set_weights(member.get_weights())
        outputs.append(keras.Model(copied.inputs[0], copied.outputs[0], name=f"member{i + 1}")(x))
    mean = keras.layers.Average(name=MERGED_OUTPUT)(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(x, mean, name=name)


def build_untrained_model(spec: ModelSpec):
    """The spec's untrained deployable model: one model, or its ensemble's members merged (for summaries)."""
    if spec.training.ensemble_size == 1:
        return build_model_for_spec(spec)
    members = [build_model_for_spec(member_spec(spec, i)) for i in range(spec.training.ensemble_size)]
    return merge_members(members, name=spec.name.replace("-", "_"))
