"""Where things are: the repository root and the app's entry script."""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
