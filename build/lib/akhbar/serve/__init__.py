"""akhbar serve: the JSON API and the pages over a live index (only cli.py imports this package)."""
