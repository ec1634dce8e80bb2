"""Training: a spec and its data in; a trained Keras model, int8 .tflite, validation figures and archive out.

- :mod:`~harken.training.job`: ``train``, the whole job (what ``harken train NAME`` runs);
- :mod:`~harken.training.fit`: Keras ``fit`` with the spec's schedule, checkpoints and resumable state;
- :mod:`~harken.training.build`: the spec's untrained model (one, or an ensemble's members merged);
- :mod:`~harken.training.ensemble`: several seeds trained and merged into one model;
- :mod:`~harken.training.initial_weights`: the trained model a fine-tune starts from;
- :mod:`~harken.training.callbacks`, :mod:`~harken.training.resume`, :mod:`~harken.training.history`: what ``fit`` uses;
- :mod:`~harken.training.runs`, :mod:`~harken.training.leftovers`: a run's work directory (the last finished run
  set aside, what an interruption saved, the lock and what a killed run left).

Nothing is imported here (``from harken.training.job import train``), so the low modules
(``build``, used by ``harken.profile.summarize``) load without the training job or TensorFlow.
"""
