"""The training-data pipeline: a model specification's clips -> seeded augmented batches and validation arrays.

- ``harken.pipeline.data``: ``build_training_data(spec) -> TrainingData``, the one entry point;
- ``harken.pipeline.batches``: ``TrainingBatches``, the seeded augmented training batches (a Keras ``PyDataset``);
- ``harken.pipeline.workers``: the worker processes that make those batches ahead of training;
- ``harken.pipeline.validation``: the un-augmented, cached validation arrays.

The labelled clips come from ``harken.datasets.clips``. Importing this package imports nothing
else (``batches`` imports Keras): import the submodule you need.
"""
