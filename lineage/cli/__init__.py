"""The ``lineage`` command: serve the API, ingest event files, ask the graph, and more.

``app`` holds the commands; each group of commands is a module (``serve``, ``ingest``,
``walk``, ``export``, ``admin``, ``impact``, ``incidents``, ``demo``), and they share
``options``, ``client`` (what they ask a server or a store) and ``render`` (how they show it).
"""

from lineage.cli.app import app, main
from lineage.cli.export import FormatChoice, GranularityChoice
from lineage.cli.incidents import KindChoice, StatusChoice

__all__ = ["FormatChoice", "GranularityChoice", "KindChoice", "StatusChoice", "app", "main"]
