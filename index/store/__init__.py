"""An index on disk: all SQL, the vectors, the FAISS indexes, centering, the manifest, versions and their integrity."""
