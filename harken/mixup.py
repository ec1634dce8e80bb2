"""Soft training targets from integer labels: mixup and label smoothing.

Mixup (Zhang et al., 2018) trains on blends of two samples: ``lam * x_i + (1 - lam) * x_j`` with
the same blend of their one-hot targets, ``lam ~ Beta(alpha, alpha)``. It keeps a classifier's
scores from jumping between classes on inputs between the training examples, which is where real
voices fall for a model trained on synthetic ones. Label smoothing moves a share of each target to
an even spread over the classes, so no clip is learned with full confidence. For the on/off
recipe neither moved the real-speech curve over five seeds (docs/real_voice.md, "Softer
targets"): no built-in spec uses them.
"""

from __future__ import annotations

import numpy as np


def soft_batch(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    rng: np.random.Generator,
    mixup_alpha: float = 0.0,
    label_smoothing: float = 0.0,
    sample_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(x, targets [B, num_classes], sample weights)`` of one batch, mixed and smoothed.

    Each sample ``i`` is blended with sample ``perm[i]`` of a seeded permutation of the batch;
    sample weights (class weights per sample) are blended the same way, so a keyword still counts
    as a keyword in proportion to how much of it is in the blend. ``mixup_alpha = 0`` leaves the
    samples as they are.

    Examples
    --------
    >>> x, t, w = soft_batch(np.ones((2, 3)), np.array([0, 2]), 3, rng=np.random.default_rng(0), label_smoothing=0.3)
    >>> t.astype(float).round(2).tolist()
    [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]
    """
    labels = np.asarray(labels, np.int64)
    if labels.ndim != 1 or len(labels) != len(x):
        raise ValueError(f"labels shape {labels.shape} does not match a batch of {len(x)} samples")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    targets = np.eye(num_classes, dtype=np.float32)[labels]
    x = np.asarray(x, np.float32)
    if mixup_alpha > 0 and len(x) > 1:
        lam = rng.beta(mixup_alpha, mixup_alpha, size=len(x)).astype(np.float32)
        partner = rng.permutation(len(x))
        x = _blend(x, x[partner], lam)
        targets = _blend(targets, targets[partner], lam)
        if sample_weights is not None:
            weights = np.asarray(sample_weights, np.float32)
            sample_weights = _blend(weights, weights[partner], lam)
    if label_smoothing > 0:
        targets = (1.0 - label_smoothing) * targets + label_smoothing / num_classes
    return x, targets.astype(np.float32), sample_weights


def _blend(a: np.ndarray, b: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``lam * a + (1 - lam) * b`` with one ``lam`` per sample (the first axis)."""
    shape = (len(lam),) + (1,) * (a.ndim - 1)
    return lam.reshape(shape) * a + (1.0 - lam.reshape(shape)) * b
