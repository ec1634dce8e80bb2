"""Firmware files and the reference application: C sources, CMake projects, cross builds and their emulator."""
