"""The results directory: one JSON per cell (written atomically) and the table built from them.

``cells/<cell_id>.json`` is the source of truth. It is written to a temporary file in the same
folder, flushed to disk and renamed over the final name, so a crash or Ctrl-C leaves either the
previous state or the complete record, never half a file. The table (``results.csv``, plus
``results.parquet`` when pyarrow is installed) is derived from the cell files and can always be
rebuilt from them.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Leading table columns, in this order; the rest follow alphabetically.
KEY_COLUMNS = ["cell_id", "game", "condition", "hud", "reward_source", "seed", "status", "verdict"]
# Columns that depend on the machine and the moment, not on the experiment: excluded when two
# runs of the same grid (e.g. the local and the Ray backend) are compared.
VOLATILE_PREFIXES = ("timing.", "path.")
VOLATILE_COLUMNS = {"train.sps", "train.wall_seconds", "error"}


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(data, file, indent=2, sort_keys=True, default=_jsonable)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; short lists of scalars (a CI ``[low, high]``) to ``key.0``,
    ``key.1``. Longer lists (curves, per-episode values) stay in the per-cell JSON only."""
    flat: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, (list, tuple)):
        if len(data) <= 4 and all(isinstance(item, (int, float, str, bool)) or item is None for item in data):
            for index, item in enumerate(data):
                flat[f"{prefix}{index}"] = item
    elif isinstance(data, (int, float, str, bool)) or data is None:
        flat[prefix.rstrip(".")] = data
    return flat


class ResultStore:
    """A results directory. ``RESULTS_DIR/cells/<cell_id>.json`` per cell; the table beside it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.cells_dir = self.root / "cells"

    def cell_path(self, cell_id: str) -> Path:
        return self.cells_dir / f"{cell_id}.json"

    def write_cell(self, record: dict[str, Any]) -> None:
        write_json_atomic(self.cell_path(record["cell_id"]), record)

    def read_cell(self, cell_id: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.cell_path(cell_id).read_text())
        except (OSError, ValueError):
            return None  # missing or unreadable: the cell is redone
        return data if isinstance(data, dict) else None

    def records(self, cell_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Cell records sorted by id; ``cell_ids`` restricts them to one grid."""
        if cell_ids is None:
            cell_ids = sorted(path.stem for path in self.cells_dir.glob("*.json"))
        records = [self.read_cell(cell_id) for cell_id in sorted(set(cell_ids))]  # each cell once
        return [record for record in records if record is not None]

    def write_table(self, records: list[dict[str, Any]]) -> list[Path]:
        rows = [table_row(record) for record in records]
        columns = table_columns(rows)
        written = [self.root / "results.csv"]
        temp = self.root / ".results.csv.tmp"
        with open(temp, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=columns, restval="")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _csv_value(value) for key, value in row.items()})
        os.replace(temp, written[0])
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            return written  # Parquet is a bonus; the CSV is the table
        table = pa.table({name: pa.array(_parquet_column([row.get(name) for row in rows])) for name in columns})
        pq.write_table(table, self.root / ".results.parquet.tmp")
        os.replace(self.root / ".results.parquet.tmp", self.root / "results.parquet")
        written.append(self.root / "results.parquet")
        return written


def table_row(record: dict[str, Any]) -> dict[str, Any]:
    """One flat row per cell: keys, the training summary (``train.*``), the diagnosis metrics
    (``diag.*``), timings (``timing.*``) and paths (``path.*``)."""
    row = {key: record.get(key) for key in KEY_COLUMNS}
    row["fingerprint"] = record.get("fingerprint")
    row["error"] = record.get("error")
    for key, value in flatten(record.get("train") or {}).items():
        if key not in ("env_id", "hud", "reward_source", "seed"):  # already key columns
            row[f"train.{key}"] = value
    for key, value in flatten(record.get("diagnosis") or {}).items():
        if key != "verdict":
            row[f"diag.{key}"] = value
    for key, value in (record.get("timing") or {}).items():
        row[f"timing.{key}"] = value
    for key, value in (record.get("paths") or {}).items():
        row[f"path.{key}"] = value
    return row


def table_columns(rows: list[dict[str, Any]]) -> list[str]:
    names = {name for row in rows for name in row}
    lead = [name for name in KEY_COLUMNS if name in names]
    return lead + sorted(names - set(lead))


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without machine- and time-dependent columns (see ``VOLATILE_*``)."""
    return [
        {
            key: value
            for key, value in row.items()
            if key not in VOLATILE_COLUMNS and not key.startswith(VOLATILE_PREFIXES)
        }
        for row in rows
    ]


def read_table(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)  # repr: round-trips exactly
    return value


def _parquet_column(values: list[Any]) -> list[Any]:
    # Parquet needs one type per column, and a column may mix numbers and text across cells
    # (a metric missing or "nan" in one cell): mixed numbers become floats, anything else text.
    present = [value for value in values if value is not None]
    if all(isinstance(value, bool) for value in present) or all(
        isinstance(value, int) and not isinstance(value, bool) for value in present
    ):
        return values  # booleans and integers (seeds, steps) keep their type
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return [None if value is None else float(value) for value in values]
    return [None if value is None else str(value) for value in values]
