#!/usr/bin/env python3
"""Disk full, in `make check`: runs tests/stress/test_diskfull.py (about a
second; every check is reported skipped when a tmpfs cannot be mounted,
i.e. without root)."""
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
runpy.run_path(os.path.join(os.path.dirname(HERE), "stress", "test_diskfull.py"),
               run_name="__main__")
