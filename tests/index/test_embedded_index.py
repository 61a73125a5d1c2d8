"""What only the embedded index promises: exact/graph modes, crash recovery, one owner per folder, threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from outcrop.index.base import Record
from outcrop.index.embedded import EmbeddedIndex, IndexLockedError

DIMENSION = 8


def data(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIMENSION)).astype(np.float32)


def top_ids(vectors: dict[str, np.ndarray], query: np.ndarray, k: int) -> list[str]:
    ids = list(vectors)
    matrix = np.stack([vectors[i] / np.linalg.norm(vectors[i]) for i in ids])
    return [ids[i] for i in np.argsort(-(matrix @ query))[:k]]


def graphs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("graph-*"))


def test_switches_to_a_graph_past_the_threshold_and_back(tmp_path: Path):
    index = EmbeddedIndex.open(tmp_path, DIMENSION, exact_threshold=50)
    points = data(60)
    index.upsert([Record(f"d{i}", points[i]) for i in range(40)])
    assert graphs(tmp_path) == []
    index.upsert([Record(f"d{i}", points[i]) for i in range(40, 60)])
    assert len(graphs(tmp_path)) == 1  # built and checkpointed at once
    assert index.search(points[3], 1)[0].id == "d3"
    index.delete([f"d{i}" for i in range(40)])  # 20 left: under half the threshold
    assert graphs(tmp_path) == []
    assert index.search(points[45], 1)[0].id == "d45"
    index.close()


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from pathlib import Path
    from outcrop.index.base import Record
    from outcrop.index.embedded import EmbeddedIndex

    points = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    index = EmbeddedIndex.open(Path(sys.argv[1]), 8, exact_threshold=0)
    index.upsert([Record(f"d{i}", points[i], {"v": 1}) for i in range(200)])
    index.close()  # checkpoint: the graph holds d0..d199
    index = EmbeddedIndex.open(Path(sys.argv[1]), 8, exact_threshold=0)
    index.upsert([Record(f"d{i}", points[i], {"v": 1}) for i in range(200, 300)])
    index.upsert([Record(f"d{i}", points[299 - i], {"v": 2}) for i in range(10)])
    index.delete([f"d{i}" for i in range(10, 30)])
    os._exit(0)  # no close, no checkpoint
    """
)


def test_reopen_after_a_crash_replays_what_the_graph_missed(tmp_path: Path):
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path)], check=True, timeout=120)
    (checkpoint,) = graphs(tmp_path)
    points = data(300)
    expected = {f"d{i}": points[i] for i in range(300) if not 10 <= i < 30}
    expected.update({f"d{i}": points[299 - i] for i in range(10)})

    index = EmbeddedIndex.open(tmp_path, DIMENSION, exact_threshold=0)
    assert index.count() == 280
    assert index.get(["d15"]) == []
    assert index.get(["d3"])[0].metadata == {"v": 2}
    # The updates make d0..d9 exact copies of d299..d290, so neighbours tie: compare scores, not ids.
    unit = {key: vector / np.linalg.norm(vector) for key, vector in expected.items()}
    for query in data(20, seed=9):
        q = query / np.linalg.norm(query)
        hits = index.search(query, 5)
        assert [round(h.score, 4) for h in hits] == [round(float(unit[i] @ q), 4) for i in top_ids(expected, query, 5)]
        assert all(h.id in expected for h in hits)
    index.close()
    assert graphs(tmp_path) != [checkpoint]  # the replayed state was checkpointed on close


def test_half_written_and_untrusted_graphs_are_ignored(tmp_path: Path):
    points = data(100)
    index = EmbeddedIndex.open(tmp_path, DIMENSION, exact_threshold=0)
    index.upsert([Record(f"d{i}", points[i]) for i in range(100)])
    index.close()
    (tmp_path / "graph-7.tmp").write_bytes(b"half a graph")
    (tmp_path / "graph-999.hnsw").write_bytes(b"from a sequence SQLite never reached")

    index = EmbeddedIndex.open(tmp_path, DIMENSION, exact_threshold=0)
    assert index.search(points[42], 1)[0].id == "d42"
    assert len(graphs(tmp_path)) == 1
    assert "graph-999.hnsw" not in graphs(tmp_path)
    index.close()


def test_one_owner_per_folder(tmp_path: Path):
    index = EmbeddedIndex.open(tmp_path, DIMENSION)
    with pytest.raises(IndexLockedError):
        EmbeddedIndex.open(tmp_path, DIMENSION)
    index.close()
    EmbeddedIndex.open(tmp_path, DIMENSION).close()


@pytest.mark.parametrize("threshold", [20_000, 0])
def test_one_writer_and_readers_in_threads(tmp_path: Path, threshold: int):
    index = EmbeddedIndex.open(tmp_path, DIMENSION, exact_threshold=threshold)
    points = data(2000)
    index.upsert([Record(f"d{i}", points[i]) for i in range(100)])
    errors: list[BaseException] = []

    def write() -> None:
        for start in range(100, 2000, 100):
            index.upsert([Record(f"d{i}", points[i]) for i in range(start, start + 100)])
            index.delete([f"d{start - 50}"])

    def read() -> None:
        try:
            for query in data(200, seed=3):
                assert len(index.search(query, 5)) == 5
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write), *(threading.Thread(target=read) for _ in range(3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert index.count() == 2000 - 19
    index.close()
