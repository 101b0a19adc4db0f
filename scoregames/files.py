"""Writing files users keep (run arguments, experiment configs): whole or not at all, and never
over a file that is already there."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_new_text(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` whole or not at all, never replacing a file there: a temp file,
    fsynced, then hard-linked into place (the link fails if ``path`` exists). False if it exists.
    Where the filesystem has no hard links, an exclusive create, then the text (still never over a
    file, but a kill mid-write can leave it short)."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temp_name, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links here
            with open(path, "x", encoding="utf-8") as file:
                file.write(text)
    except FileExistsError:
        return False
    finally:
        Path(temp_name).unlink(missing_ok=True)
    return True
