"""Where a spec's labelled clips come from: one ``DatasetSource`` per folder, download or synthesis.

In: keyword arguments in a spec file. Out: a validated ``DatasetSource``.
It does not list or load clips: ``harken.datasets`` and ``harken.pipeline.batches`` do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harken._util.settings import Settings, check_number
from harken.datasets.directory import UNKNOWN_CLASS
from harken.datasets.synth_settings import SynthSettings
from harken.errors import SettingsError
from harken.spec.problem import SpecProblem


@dataclass(slots=True, kw_only=True)
class DatasetSource(Settings):
    """One source of labelled clips: exactly one of ``directory``, ``download`` or ``synth``.

    Folders named like a class of the spec are that class; ``class_map`` renames folders
    (``{"sil": "_silence_"}``); ``keywords`` limits which folders count as keyword classes; every
    other folder goes to ``_unknown_`` when ``unknown`` is set and the spec has that class. Speakers
    are split by hash (``validation_percentage``, ``testing_percentage``); ``speaker_manifest``
    (a TSV/CSV with ``file`` and ``speaker`` and/or ``split`` columns) names speakers or puts them
    in a split by hand.

    Examples
    --------
    >>> DatasetSource(download="speech_commands_v2", max_samples_per_class=3000).download
    'speech_commands_v2'
    """

    directory: str | None = None
    download: str | None = None
    synth: SynthSettings | None = None
    keywords: tuple[str, ...] | None = None
    class_map: dict[str, str] = field(default_factory=dict)
    unknown: bool = True
    max_samples_per_class: int | None = None
    silence_percentage: float = 0.0
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    speaker_manifest: str | None = None

    def __post_init__(self) -> None:
        if self.keywords is not None:
            self.keywords = tuple(self.keywords)
        self.validate()

    @property
    def kind(self) -> str:
        """``directory``, ``download`` or ``synth``."""
        return "directory" if self.directory is not None else "download" if self.download is not None else "synth"

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        given = [n for n in ("directory", "download", "synth") if getattr(self, n) is not None]
        if len(given) != 1:
            raise SpecProblem(f"DatasetSource: give exactly one of directory=, download=, synth= (got {given or 'none'})",
                              token="DatasetSource")
        if self.download is not None:
            from harken.datasets.sources import SOURCES

            if self.download not in SOURCES and "://" not in self.download:
                raise SpecProblem(f"DatasetSource(download={self.download!r}): not a known dataset; use one of "
                                  f"{', '.join(SOURCES)} or an archive URL", token=self.download)
        if self.synth is not None:
            self.synth.validate()
        if self.max_samples_per_class is not None and self.max_samples_per_class < 1:
            raise SettingsError(f"DatasetSource.max_samples_per_class={self.max_samples_per_class}: "
                                "use None or >= 1")
        check_number(self, "silence_percentage", lo=0.0, hi=1000.0)

    def provided_classes(self, classes: tuple[str, ...]) -> set[str] | None:
        """Classes this source is known to fill, or None when only a folder scan can tell."""
        if self.synth is not None:
            names = {self.class_map.get(k, k) for k in self.synth.keywords}
            if self.synth.num_unknown > 0 and self.unknown:
                names.add(UNKNOWN_CLASS)
            return names
        return None
