"""Settings shared by the backends built on Hugging Face libraries."""

from __future__ import annotations


def quiet_transformers() -> None:
    """No tqdm bars from transformers: loading happens in a server, whose log is not a terminal."""
    from transformers.utils import logging

    logging.disable_progress_bar()
