"""akhbar: semantic search for news. The repository root is the `akhbar` package: `index/`
builds and changes an index, `search/` queries one, `facade.py` is `akhbar.Index` (what `cli.py`
and `serve/` call), `cli.py` is the command line.

    from akhbar import Index, QueryOptions
    box = Index("news-index").similar("ar-nato-01", QueryOptions(k=5))

The names below are imported on first use, so `import akhbar` (and every CLI command) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from akhbar.facade import Answer, Index
    from akhbar.search.options import QueryOptions

__all__ = ["Answer", "Index", "QueryOptions", "__version__"]


def __getattr__(name: str):
    if name in ("Index", "Answer"):
        from akhbar import facade

        return getattr(facade, name)
    if name == "QueryOptions":
        from akhbar.search.options import QueryOptions

        return QueryOptions
    if name == "__version__":
        from importlib.metadata import version

        return version("akhbar")
    raise AttributeError(f"module 'akhbar' has no attribute {name!r}")
