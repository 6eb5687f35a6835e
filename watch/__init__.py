"""akhbar watch: poll news feeds over the network and keep an index current (only cli.py imports this layer)."""
