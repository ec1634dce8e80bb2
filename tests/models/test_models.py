"""Model architectures: shapes, parameter counts against the seeds, TENet merge, MACs, registry."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from harken.errors import SettingsError
from harken.models import build_model
from harken.models.cnn import build_cnn
from harken.models.dscnn import build_dscnn
from harken.models.macs import count_macs, layer_macs
from harken.models.tenet import MultiScaleTemporalConv, build_tenet, merge_multiscale


def param_counts(model: keras.Model) -> tuple[int, int, int]:
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, frozen


def randomize_batch_norms(model: keras.Model, rng: np.random.Generator) -> None:
    """Give every BatchNormalization (also inside multi-scale layers) non-trivial statistics."""
    for layer in model.layers:
        inner = list(getattr(layer, "batch_norms", []))
        for bn in [layer, *inner]:
            if isinstance(bn, keras.layers.BatchNormalization):
                n = bn.get_weights()[0].shape[0]
                bn.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.2, n),
                                rng.normal(0, 0.2, n), rng.uniform(0.5, 2.0, n)])  # fmt: skip


def tiny_tenet(input_shape=(21, 1, 8)) -> keras.Model:
    return build_tenet(input_shape, 3, channels=4, num_stages=2, blocks_per_stage=2, expansion=2)


# ---- TENet -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def v3_tenet() -> keras.Model:
    return build_tenet((98, 1, 104), 3)


def test_tenet_v3_output_is_one_score_per_class(v3_tenet):
    assert v3_tenet.output_shape == (None, 3)


def test_merged_v3_tenet_has_the_seed_parameter_table(v3_tenet):
    # the v3 tutorial's summary: Total 384,303 / Trainable 369,803 / Non-trainable 14,500
    assert param_counts(merge_multiscale(v3_tenet)) == (384_303, 369_803, 14_500)


def test_single_scale_v3_tenet_has_the_seed_parameter_table():
    model = build_tenet((98, 1, 104), 3, kernel_sizes=(9,))
    assert param_counts(model) == (384_303, 369_803, 14_500)
    assert [model.get_layer(f"mtconv-{i}").output.shape[1] for i in (0, 4, 8, 12, 16)] == [
        49, 25, 13, 7, 4
    ]


def test_tenet_takes_time_features_1_spectrogram_with_same_weights():
    model = build_tenet((98, 104, 1), 3, kernel_sizes=(9,))
    assert model.input_shape == (None, 98, 104, 1)
    assert model.count_params() == 384_303


def test_merged_tenet_gives_same_outputs_as_training_model():
    model = tiny_tenet()
    randomize_batch_norms(model, np.random.default_rng(0))
    merged = merge_multiscale(model)
    x = np.random.default_rng(1).normal(size=(4, 21, 1, 8)).astype(np.float32)
    np.testing.assert_allclose(merged(x, training=False), model(x, training=False), atol=1e-6)


def test_merged_tenet_has_plain_depthwise_convs_of_the_longest_kernel():
    merged = merge_multiscale(tiny_tenet())
    assert not any(isinstance(layer, MultiScaleTemporalConv) for layer in merged.layers)
    conv = merged.get_layer("mtconv-0")
    assert isinstance(conv, keras.layers.DepthwiseConv2D)
    assert conv.kernel_size == (9, 1) and not conv.use_bias


def test_merge_leaves_the_training_model_unchanged():
    model = tiny_tenet()
    before = [w.copy() for w in model.get_weights()]
    merge_multiscale(model)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_tenet_depthwise_strides_are_equal_so_tensorflows_own_cpu_kernel_runs_them():
    # TensorFlow's DepthwiseConv2dNative refuses unequal strides; it is the kernel used when oneDNN
    # is off (CPUs without AVX-512, e.g. AMD EPYC), where a (2, 1) stride made training fail
    for model in (tiny_tenet(), merge_multiscale(tiny_tenet()), build_tenet((21, 1, 8), 3, channels=4, num_stages=2,
                                                                           blocks_per_stage=2, kernel_sizes=(9,))):
        convs = [c for layer in model.layers for c in [layer, *getattr(layer, "depthwise", [])]
                 if isinstance(c, keras.layers.DepthwiseConv2D)]
        assert convs and all(c.strides[0] == c.strides[1] for c in convs)
        assert sorted({c.strides[0] for c in convs}) == [1, 2]


def test_tenet_time_stride_halves_time_only():
    model = tiny_tenet()
    assert model.get_layer("mtconv-0").compute_output_shape((None, 21, 1, 8)) == (None, 11, 1, 8)
    x = np.random.default_rng(3).normal(size=(2, 21, 1, 8)).astype(np.float32)
    assert model(x).shape == (2, 3)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # keras/TF saving
def test_tenet_with_multiscale_layer_survives_keras_save_and_load(tmp_path):
    model = tiny_tenet()
    path = tmp_path / "tenet.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(2).normal(size=(2, 21, 1, 8)).astype(np.float32)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_tenet_rejects_even_kernel_size():
    with pytest.raises(SettingsError, match=r"kernel_sizes=\(9, 4\)"):
        build_tenet((98, 1, 104), 3, kernel_sizes=(9, 4))


def test_tenet_rejects_input_without_a_unit_axis():
    with pytest.raises(SettingsError, match=r"input_shape=\(98, 40, 2\)"):
        build_tenet((98, 40, 2), 3)


# ---- small CNN and DS-CNN ------------------------------------------------------------


def test_small_cnn_matches_the_seed_model_layers_and_macs():
    model = build_cnn((49, 32, 1), 4)
    shapes = [model.get_layer(n).output.shape[1:] for n in ("conv_1", "conv_2", "conv_3", "time_max_pool")]
    assert shapes == [(25, 16, 8), (13, 8, 16), (7, 4, 32), (1, 4, 32)]
    assert model.output_shape == (None, 4)
    assert model.count_params() == 6628
    assert [row.macs for row in layer_macs(model)] == [28_800, 119_808, 129_024, 512]
    assert count_macs(model) == 278_144  # the seed's profile: "Total MACs: 278.144 k"


def test_dscnn_builds_for_default_input_with_expected_parameters():
    model = build_dscnn()
    # conv 10x4x64 + BN, 4 x (dw 3x3x64 + BN + pw 64x64 + BN), dense 64x12 + 12
    assert model.output_shape == (None, 12)
    assert model.count_params() == 2560 + 256 + 4 * (576 + 256 + 4096 + 256) + 780


def test_dscnn_filters_and_blocks_options_shape_the_model():
    model = build_dscnn((98, 104, 1), 3, filters=16, num_blocks=2)
    depthwise = [layer for layer in model.layers if isinstance(layer, keras.layers.DepthwiseConv2D)]
    assert len(depthwise) == 2 and model.get_layer("pointwise-1").filters == 16
    assert model.output_shape == (None, 3)


def test_dscnn_rejects_zero_blocks():
    with pytest.raises(SettingsError, match="num_blocks=0"):
        build_dscnn(num_blocks=0)


# ---- MACs and registry ---------------------------------------------------------------


def test_multiscale_macs_count_every_branch_and_merged_only_the_longest():
    model = tiny_tenet()
    # mtconv-0: 2x expanded channels (8), time 21 -> 11, branches 9+5+3+1 = 18 taps
    assert next(r.macs for r in layer_macs(model) if r.name == "mtconv-0") == 11 * 8 * 18
    merged = merge_multiscale(model)
    assert next(r.macs for r in layer_macs(merged) if r.name == "mtconv-0") == 11 * 8 * 9


@pytest.mark.parametrize(
    ("name", "input_shape"), [("tenet", (16, 1, 8)), ("dscnn", (16, 8, 1)), ("cnn", (16, 8, 1))]
)
def test_registry_builds_each_model_for_its_input(name, input_shape):
    options = {"tenet": {"channels": 4, "num_stages": 1, "blocks_per_stage": 1}}.get(name, {})
    model = build_model(name, input_shape=input_shape, num_classes=5, **options)
    assert model.input_shape == (None, *input_shape)
    assert model.output_shape == (None, 5)


def test_registry_suggests_close_name():
    with pytest.raises(SettingsError, match="did you mean 'tenet'"):
        build_model("tenett", input_shape=(98, 1, 104), num_classes=3)


def test_registry_reports_unknown_option():
    with pytest.raises(SettingsError, match="model 'cnn': bad option"):
        build_model("cnn", input_shape=(49, 32, 1), num_classes=4, channels=3)


def test_merge_keeps_a_bias_when_no_batch_norm_follows():
    inputs = keras.Input((15, 1, 6))
    outputs = MultiScaleTemporalConv((5, 3), strides=2, name="mtconv")(inputs)
    model = keras.Model(inputs, outputs)
    randomize_batch_norms(model, np.random.default_rng(3))
    merged = merge_multiscale(model)
    assert merged.get_layer("mtconv").use_bias
    x = np.random.default_rng(4).normal(size=(2, 15, 1, 6)).astype(np.float32)
    np.testing.assert_allclose(merged(x, training=False), model(x, training=False), atol=1e-6)
