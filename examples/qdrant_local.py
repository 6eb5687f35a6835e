"""Load an `akhbar export` folder into Qdrant's local mode and ask it for an article's nearest neighbours.

    akhbar export news-export --index news-index
    python examples/qdrant_local.py news-export 000_2274472028061bc0 -k 5

Needs `pip install qdrant-client pyarrow`. Qdrant's local mode (QdrantClient(path=…)) is pure Python
and searches by brute force: right for trying an export, not for serving (it warns above 20,000
points; run a Qdrant server for that and keep this loading code). Prints JSON Lines: rank, id,
score. The `vector` column is what akhbar ranks (centered, unit length), so with cosine distance
the list equals akhbar's dense neighbours: `akhbar similar ID --mode dense --days 0`, before it
folds copies of one story into one row.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from qdrant_client import QdrantClient, models

COLLECTION = "articles"


def load(export: Path, client: QdrantClient) -> dict[str, int]:
    """Every exported article as a point (its row number as point id, the article's fields as payload)."""
    meta = json.loads((export / "akhbar.json").read_text())
    client.create_collection(COLLECTION, vectors_config=models.VectorParams(size=meta["dimension"], distance=models.Distance.COSINE))
    point_of: dict[str, int] = {}
    for part in sorted(export.glob("part-*.parquet")):
        for batch in pq.ParquetFile(part).iter_batches(batch_size=1024, columns=["id", "title", "lang", "date", "source", "vector"]):
            rows = batch.to_pylist()
            points = []
            for r in rows:
                point_of[r["id"]] = len(point_of)
                payload = {k: r[k] for k in ("id", "title", "lang", "date", "source")}
                points.append(models.PointStruct(id=point_of[r["id"]], vector=r["vector"], payload=payload))
            client.upsert(COLLECTION, points)
    return point_of


def neighbours(client: QdrantClient, point: int, k: int) -> list[dict]:
    """The k nearest other articles to one already loaded."""
    found = client.query_points(COLLECTION, query=point, limit=k).points  # a point id: Qdrant leaves the point out
    return [{"rank": i, "id": p.payload["id"], "score": round(p.score, 4)} for i, p in enumerate(found, 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export", type=Path, help="a folder written by `akhbar export`")
    ap.add_argument("article_id")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as storage:
        client = QdrantClient(path=storage)
        point_of = load(args.export, client)
        for row in neighbours(client, point_of[args.article_id], args.k):
            print(json.dumps(row, ensure_ascii=False))
        client.close()


if __name__ == "__main__":
    main()
