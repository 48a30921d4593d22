"""Trạm — offline records for a Vietnamese commune health station."""

__version__ = "0.1.0"
APP_NAME = "Trạm"
