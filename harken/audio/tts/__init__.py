"""Offline text-to-speech for synthetic keyword datasets.

- :mod:`harken.audio.tts.engines`: :class:`~harken.audio.tts.engines.Voice`, the voices of each
  engine and one ``synthesize`` for all of them (the module to use);
- :mod:`harken.audio.tts.espeak`: espeak-ng through ctypes (speech and phonemes), the default engine;
- :mod:`harken.audio.tts.piper`: Piper neural voices from pip packages, made repeatable (opt-in).

Nothing is imported here, so importing one engine does not load the others.
"""
