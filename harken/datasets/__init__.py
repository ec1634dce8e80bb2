"""Datasets: folders of clips, speaker splits, downloads, and synthetic keywords/noise/RIRs.

Importing this package loads no data and touches no file.
"""

from harken.datasets.directory import (
    BACKGROUND_NOISE_FOLDER,
    SILENCE_CLASS,
    UNKNOWN_CLASS,
    BadFile,
    DirectoryDataset,
    DirectorySettings,
    Sample,
    bad_file_report,
    balanced_class_weights,
    load_directory_dataset,
)
from harken.datasets.download import download_file
from harken.datasets.extract import extract_archive, is_extracted
from harken.datasets.filecheck import FileCheck, check_audio_file
from harken.datasets.sources import SOURCES, Source, cached_dataset, download_dataset, get_source
from harken.datasets.splits import SPLITS, speaker_of, split_of_speaker, which_set

__all__ = [
    "BACKGROUND_NOISE_FOLDER",
    "SILENCE_CLASS",
    "SOURCES",
    "SPLITS",
    "UNKNOWN_CLASS",
    "BadFile",
    "DirectoryDataset",
    "DirectorySettings",
    "FileCheck",
    "Sample",
    "Source",
    "bad_file_report",
    "balanced_class_weights",
    "cached_dataset",
    "check_audio_file",
    "download_dataset",
    "download_file",
    "extract_archive",
    "get_source",
    "is_extracted",
    "load_directory_dataset",
    "speaker_of",
    "split_of_speaker",
    "which_set",
]
