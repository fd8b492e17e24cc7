"""Partner Hub: one front door for a vendor's channel program."""

from __future__ import annotations

__version__ = "0.1.0"
