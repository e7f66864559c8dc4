"""Realtor AI Copilot API service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("copilot-api")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
