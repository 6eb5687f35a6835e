"""akhbar: semantic search for news. The repository root is the `akhbar` package: `index/`
builds and changes an index, `search/` queries one, `cli.py` is the command line."""
