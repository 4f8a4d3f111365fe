"""The embedded vector store writes its index with the whole preallocated capacity, so memory fresh from malloc
reaches the disk; a process that bootstraps with the embedded store fills what malloc hands out and what free
takes back (infra/erasure_storage.clear_heap_memory_on_reuse), so no earlier request's bytes end up there."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import collections, pathlib, sys
    from infra.erasure_storage import clear_heap_memory_on_reuse
    assert clear_heap_memory_on_reuse()
    junk = [("cedula 1020345678 " * 60) + str(i) for i in range(20000)]  # a request's leftovers
    del junk
    import chromadb
    client = chromadb.PersistentClient(path=sys.argv[1])
    notes = client.get_or_create_collection("notes", embedding_function=None)
    notes.add(ids=["a", "b"], embeddings=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], documents=["uno", "dos"])
    junk = [("cedula 1020345678 " * 60) + str(i) for i in range(20000)]
    del junk
    notes.add(ids=["c"], embeddings=[[0.5, 0.2, 0.3]], documents=["tres"])
    del notes, client
    data = next(pathlib.Path(sys.argv[1]).rglob("data_level0.bin")).read_bytes()
    print(len(data), collections.Counter(data[-1000:]).most_common(1)[0][0])
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_unused_capacity_of_the_index_files_holds_filler_not_heap_remnants(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "chroma")], cwd=root, capture_output=True,
                         text=True, timeout=120, env={"PYTHONPATH": str(root), "ANONYMIZED_TELEMETRY": "False",
                                                      "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    size, filler = (int(x) for x in out.stdout.split())
    assert size > 3 * 100 and filler == 0x55 ^ 0xFF  # the unused slots: malloc's filler byte, not leftovers
    found = [p for p in (tmp_path / "chroma").rglob("*") if p.is_file() and b"1020345678" in p.read_bytes()]
    assert found == []
