"""The training-data pipeline: reproducible batches, labels, validation cache, worker processes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from harken.datasets.clips import LabeledClip
from harken.errors import AudioError, DatasetError
from harken.frontend import FrontendSettings
from harken.pipeline.batches import TrainingBatches
from harken.pipeline.validation import validation_arrays

CLASSES = ["on", "off", "_unknown_", "_silence_"]
SMALL_FE = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=16,
                            filterbank_upper_band_limit=3900.0)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[LabeledClip]:
    """Tone bursts standing in for words: a different pitch per class, 6 clips each, plus silence."""
    root = tmp_path_factory.mktemp("words")
    rng = np.random.default_rng(0)
    out = []
    for k, label in enumerate(["on", "off", "_unknown_"]):
        (root / label).mkdir()
        for i in range(6):
            t = np.arange(int(0.4 * 8000)) / 8000
            word = np.sin(2 * np.pi * (300 + 400 * k + 20 * i) * t) * np.hanning(len(t)) * 0.5
            clip = np.concatenate([np.zeros(1500), word, np.zeros(8000 - 1500 - len(word))])
            clip += rng.standard_normal(len(clip)) * 1e-3
            path = root / label / f"spk{i}_nohash_0.wav"
            sf.write(path, clip, 8000, subtype="PCM_16")
            out.append(LabeledClip(str(path), label))
    out += [LabeledClip(None, "_silence_")] * 3
    return out


def _batches(clips, **options) -> TrainingBatches:
    from harken.augment import Compose

    defaults = dict(class_names=CLASSES, frontend=SMALL_FE, augmentation=Compose(), batch_size=4,
                    seed=7, warmup_ms=500)
    defaults.update(options)
    return TrainingBatches(clips, **defaults)


def _epoch(data: TrainingBatches) -> list[tuple[np.ndarray, np.ndarray]]:
    return [data[i] for i in range(len(data))]


def test_same_seed_gives_identical_batches(clips):
    first, second = _epoch(_batches(clips)), _epoch(_batches(clips))
    for (x1, y1), (x2, y2) in zip(first, second):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)


def test_different_seed_gives_different_batches(clips):
    first, other = _epoch(_batches(clips)), _epoch(_batches(clips, seed=8))
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, other))


def test_reseeding_draws_anew_and_back(clips):
    data = _batches(clips)
    first = _epoch(data)
    data.on_epoch_end()
    data.reseed(8)
    assert data.epoch == 0
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(_epoch(data), _epoch(_batches(clips, seed=8))))
    data.reseed(7)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(_epoch(data), first))


def test_batches_have_the_model_layout(clips):
    x, y = _batches(clips)[0]
    assert x.shape == (4,) + SMALL_FE.spectrogram_shape + (1,) and x.dtype == np.float32
    assert y.dtype == np.int32 and x.min() >= -128 and x.max() <= 127
    assert np.array_equal(x, np.round(x))  # int8 values carried as float32


def test_each_epoch_differs_and_can_be_rebuilt(clips):
    data = _batches(clips)
    epoch0 = _epoch(data)
    data.on_epoch_end()
    epoch1 = _epoch(data)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(epoch0, epoch1))
    again = _batches(clips)
    again.set_epoch(1)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(epoch1, _epoch(again)))


def test_every_clip_appears_once_per_epoch_with_its_label(clips):
    from harken.augment import Compose

    data = _batches(clips, augmentation=Compose(cropped_known=None))
    labels = np.concatenate([y for _, y in _epoch(data)])
    assert sorted(labels.tolist()) == sorted(CLASSES.index(c.label) for c in clips)


def test_a_sample_is_rebuilt_alone_identically(clips):
    data = _batches(clips)
    audio_a, label_a, _ = data.make_sample(5, epoch=2)
    audio_b, label_b, _ = _batches(clips).make_sample(5, epoch=2)
    assert label_a == label_b and np.array_equal(audio_a, audio_b)
    assert len(audio_a) == data.buffer_length == 4000 + 8000


def test_cropped_known_samples_are_labelled_unknown(clips):
    from harken.augment import Compose, CroppedKnown

    data = _batches(clips, augmentation=Compose(cropped_known=CroppedKnown(p=1.0)))
    keyword_positions = [p for p in range(len(clips)) if clips[int(data._order[p])].label in ("on", "off")]
    for position in keyword_positions:
        _, label, record = data.make_sample(position)
        assert label == CLASSES.index("_unknown_") and record[0]["name"] == "cropped_known"


def test_cropped_known_samples_name_their_word_and_other_samples_keep_their_draws(clips):
    from harken.augment import Compose, CroppedKnown

    plain = _batches(clips, augmentation=Compose(cropped_known=None))
    data = _batches(clips, augmentation=Compose(cropped_known=CroppedKnown(p=1.0)))
    for position in range(len(clips)):
        audio, label, record = data.make_sample(position)
        if clips[int(data._order[position])].label in ("on", "off"):
            assert label == CLASSES.index("_unknown_") and record[0] == {"name": "cropped_known",
                                                                          "from": clips[int(data._order[position])].label}
        else:
            assert np.array_equal(audio, plain.make_sample(position)[0])


def test_balanced_sampling_evens_out_classes(clips):
    skewed = clips[:6] + clips[6:8] + clips[12:14]
    data = _batches(skewed, balanced_sampling=True, class_names=CLASSES[:3])
    counts = np.zeros(3)
    for epoch in range(40):
        counts += np.bincount(data.labels[data._epoch_order(epoch)], minlength=3)
    assert counts.min() / counts.max() > 0.7


def test_unknown_label_is_rejected(clips):
    with pytest.raises(DatasetError, match=r"clip labels \['_silence_'\] are not among the classes"):
        _batches(clips, class_names=["on", "off", "_unknown_"])


def test_validation_is_not_augmented_and_is_cached(clips, tmp_path):
    x1, y1 = validation_arrays(clips, class_names=CLASSES, frontend=SMALL_FE, warmup_ms=500)
    x2, y2 = validation_arrays(clips, class_names=CLASSES, frontend=SMALL_FE, warmup_ms=500)
    x3, _ = validation_arrays(clips, class_names=CLASSES, frontend=SMALL_FE, warmup_ms=500, use_cache=False)
    assert np.array_equal(x1, x2) and np.array_equal(x1, x3) and np.array_equal(y1, y2)
    assert y1.tolist() == [CLASSES.index(c.label) for c in clips]
    assert np.all(x1[-1] == -128)  # generated silence: all zeros -> the minimum everywhere


def test_worker_processes_give_the_same_batches_as_direct_indexing(clips):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    data = _batches(clips, workers=2, use_multiprocessing=True, max_queue_size=3)
    adapter = PyDatasetAdapter(data, shuffle=False)
    assert adapter.enqueuer is None  # the batches come from harken's own pool, not a Keras enqueuer
    through_workers = []
    with data.worker_processes():
        assert data._pool is not None
        for epoch in range(2):
            through_workers.append([batch for batch in adapter.get_numpy_iterator()])
            adapter.on_epoch_end()
        again = data[1]  # out of order, after the epochs: still the batch of the current epoch
    assert data._pool is None and not data._pending
    reference = _batches(clips)
    for epoch in range(2):
        reference.set_epoch(epoch)
        assert len(through_workers[epoch]) == len(reference)
        for (x, y), (xr, yr) in zip(through_workers[epoch], _epoch(reference)):
            assert np.array_equal(x, xr) and np.array_equal(y, yr)
    reference.set_epoch(2)
    assert all(np.array_equal(a, b) for a, b in zip(again, reference[1]))


def test_batches_pickled_for_a_spawned_worker_rebuild_the_same_epoch(clips):
    """Where workers are spawned (macOS, Windows) the dataset travels pickled: no pool, a lock of its own."""
    import pickle

    data = _batches(clips)
    data.set_epoch(3)
    copy = pickle.loads(pickle.dumps(data))
    assert copy._pool is None and copy._pending == {}
    assert copy._lock is not data._lock and copy._lock.acquire(blocking=False)
    copy._lock.release()
    assert copy.epoch == 3
    for (x, y), (xc, yc) in zip(_epoch(data), _epoch(copy)):
        assert np.array_equal(x, xc) and np.array_equal(y, yc)


def test_worker_errors_reach_the_caller(clips, tmp_path):
    import shutil

    moved = [LabeledClip(str(tmp_path / f"c{i}_nohash_0.wav"), c.label) for i, c in enumerate(clips) if c.path]
    for c, m in zip(clips, moved):
        shutil.copy(c.path, m.path)
    data = _batches(moved, workers=2, use_multiprocessing=True)
    with data.worker_processes():
        (tmp_path / "c0_nohash_0.wav").write_bytes(b"not audio")  # the worker reads it after the pool started
        with pytest.raises(AudioError, match="c0_nohash_0.wav: not a readable audio file"):
            for i in range(len(data)):
                data[i]


def _die_on_read(path, sample_rate_hz):
    os._exit(9)  # as a worker killed by the kernel: no exception, no result


def test_a_worker_that_dies_is_an_error_not_a_wait_forever(clips, monkeypatch):
    import harken.pipeline.batches

    data = _batches(clips, workers=2, use_multiprocessing=True)
    monkeypatch.setattr(harken.pipeline.batches, "_read_clip", _die_on_read)  # forked workers inherit it
    with data.worker_processes():
        with pytest.raises(DatasetError, match=r"a batch worker process died while making batch 1 of epoch 1 .*--resume"):
            data[0]
