"""Lineage and metadata graph service."""

__version__ = "0.1.0"
