"""The ``lineage`` command: serve the API, ingest event files, ask the graph, and more."""

from lineage.cli.app import (
    FormatChoice,
    GranularityChoice,
    KindChoice,
    StatusChoice,
    app,
    main,
)

__all__ = ["FormatChoice", "GranularityChoice", "KindChoice", "StatusChoice", "app", "main"]
