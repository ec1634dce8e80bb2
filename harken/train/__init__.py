"""Training: a spec and its data in; a trained Keras model, int8 .tflite, validation figures and archive out.

- :mod:`~harken.train.job`: ``train``, the whole job (what ``harken train NAME`` runs);
- :mod:`~harken.train.fit`: Keras ``fit`` with the spec's schedule, checkpoints and resumable state;
- :mod:`~harken.train.build`: the spec's untrained model (one, or an ensemble's members merged);
- :mod:`~harken.train.ensemble`: several seeds trained and merged into one model;
- :mod:`~harken.train.initial_weights`: the trained model a fine-tune starts from;
- :mod:`~harken.train.callbacks`, :mod:`~harken.train.resume`, :mod:`~harken.train.history`: what ``fit`` uses.

Nothing is imported here (``from harken.train.job import train``), so the low modules
(``build``, used by ``harken.profile.summarize``) load without the training job or TensorFlow.
"""
