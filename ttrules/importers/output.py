"""Writing imported history records: JSON Lines or Parquet, atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ttrules.fileio import atomic_writer


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records with dotted keys; the file appears only when complete."""
    if path.name.endswith(".parquet"):
        _write_parquet(path, records)
    else:
        with atomic_writer(path) as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def _write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = sorted({key for record in records for key in record})
    # Every column over every record: from_pylist would take its columns from the first row.
    table = pa.table({name: [record.get(name) for record in records] for name in names})
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    os.close(fd)
    try:
        pq.write_table(table, temp, compression="zstd")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
