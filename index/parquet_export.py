"""The live index as Parquet plus a JSON of how it was embedded, for engines other than akhbar's own query side.

DIR/part-00000.parquet, … hold one row per live article, in position order: `id`, the metadata
(title, body, lang, date, source, url, keywords) and two fixed-size float32 list columns:
`vector`, the article as akhbar ranks it (its language's mean subtracted, unit length: load it
with cosine or dot-product distance and an engine's nearest neighbours are akhbar's dense
ones), and `raw_vector`, the model's output as embedded (to refit the centering later).
DIR/akhbar.json holds the model id and checksum, prompt, windowing and precision, and the
centers, so a new article's vector is made the same way: encode, subtract the center of its
language (else `_all`), normalise. The folder is written aside and renamed into place, so an
interrupted export leaves nothing that looks finished.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

from akhbar.index.errors import AkhbarError
from akhbar.index.store import centering, layout, sql, vectors
from akhbar.index.store.manifest import Manifest

META = "akhbar.json"
TEXT_COLUMNS = ("id", "title", "body", "lang", "date", "source", "url")
ROWS_PER_GROUP = 65_536  # a Parquet row group: ~200 MB of vectors at 384 dimensions, both columns
ROWS_PER_FILE = 1_048_576  # files an engine's loader can take one at a time


def _table(rows: list[dict], raw: np.ndarray, centered: np.ndarray):
    import pyarrow as pa

    dim = raw.shape[1]
    columns = {c: pa.array([r[c] for r in rows], pa.string()) for c in TEXT_COLUMNS}
    columns["keywords"] = pa.array([r["keywords"] for r in rows], pa.list_(pa.string()))
    for name, v in (("vector", centered), ("raw_vector", raw)):
        columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(v, np.float32).ravel()), dim)
    return pa.table(columns)


def export(root: Path, out: Path, on_progress: Callable[[int], None] | None = None) -> dict[str, object]:
    """Write the live version of the index at `root` to the new folder `out`; returns what akhbar.json says."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise AkhbarError("export needs pyarrow: pip install 'akhbar[export]'") from exc
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AkhbarError(f"{out} exists and is not empty; export writes a new folder")
    folder = layout.current_version(root)
    manifest = Manifest.load(folder)
    con = sql.connect_readonly(folder)
    rows_at = vectors.Rows(folder, manifest.dimension)
    centers = centering.load(folder)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    positions = [r[0] for r in sql.in_order(con, "pos")]
    writer: pq.ParquetWriter | None = None
    files = 0
    try:
        for start in range(0, len(positions), ROWS_PER_GROUP):
            part = positions[start : start + ROWS_PER_GROUP]
            by_pos = sql.by_positions(con, part)
            rows = [by_pos[p] for p in part]
            raw = rows_at[np.asarray(part)].astype(np.float32)
            table = _table(rows, raw, centering.apply(raw, [r["lang"] for r in rows], centers))
            if start % ROWS_PER_FILE == 0:
                if writer is not None:
                    writer.close()
                writer = pq.ParquetWriter(tmp / f"part-{files:05d}.parquet", table.schema)
                files += 1
            assert writer is not None  # the first part (start 0) opened one
            writer.write_table(table)
            if on_progress:
                on_progress(len(part))
    finally:
        if writer is not None:
            writer.close()
        con.close()
    meta = {
        "model": manifest.model,
        "model_checksum": manifest.model_checksum,
        "dimension": manifest.dimension,
        "prompt": manifest.prompt,
        "chunking": manifest.chunking,
        "precision": manifest.precision,
        "articles": len(positions),
        "files": files,
        "version": folder.name,
        "vector": "centered by language, unit length: use cosine or dot distance",
        "raw_vector": "the model's output before centering",
        "centering": {
            "by": "language",
            "fallback": centering.ALL,
            "centers": {k: v.astype(float).tolist() for k, v in sorted(centers.items())},
        },
    }
    (tmp / META).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    if out.exists():
        out.rmdir()  # empty, checked above
    tmp.rename(out)
    return meta
