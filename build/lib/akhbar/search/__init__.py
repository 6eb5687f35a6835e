"""Everything that queries an akhbar index."""
