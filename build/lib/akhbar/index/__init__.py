"""Everything that builds and changes an akhbar index."""
