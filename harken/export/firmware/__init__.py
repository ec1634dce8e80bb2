"""Firmware export: the model as C/C++ files, harken's firmware C code and a reference application.

See :func:`harken.export.firmware.generate.export_firmware` (the ``harken export`` command).
"""
