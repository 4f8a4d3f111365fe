"""`mestocker kb index` / `kb search` as a user runs them, in a fresh process and data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.knowledge import build_knowledge
from infra.settings import ChromaMode
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def kb(tmp_path: Path, *args: str, keep_env: bool = False) -> subprocess.CompletedProcess[str]:
    # cwd is the temp dir so a developer's .env is not read; the data dir is fresh.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MESTOCKER_DATA_DIR": str(tmp_path / "var"),
           "HF_HUB_OFFLINE": "1"}
    if not keep_env:
        env.pop("MESTOCKER_CHROMA_MODE", None)
    return subprocess.run([sys.executable, "-m", "api.cli", "kb", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_index_search_and_reindex(tmp_path: Path) -> None:
    empty = kb(tmp_path, "search", "puedo pagar con nequi")
    assert empty.returncode == 1 and "kb index" in empty.stderr

    first = kb(tmp_path, "index")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Indexando fragmentos" in first.stderr and "0 sin cambios" in first.stderr
    assert (tmp_path / "var" / "chroma").is_dir()

    again = kb(tmp_path, "index")
    assert "0 fragmento(s) escritos, 0 borrados" in again.stderr and "Indexando" not in again.stderr
    assert "ya está indexada" in kb(tmp_path, "index", "--if-missing").stderr

    found = kb(tmp_path, "search", "cuantos", "dias", "tengo", "para", "devolver", "un", "producto", "-k", "2")
    assert found.returncode == 0
    assert "Fuente: Devoluciones y derecho de retracto (devoluciones.md, devoluciones-" in found.stdout
    assert found.stdout.startswith("1. [puntaje ") and "\n2. [puntaje " in found.stdout

    nothing = kb(tmp_path, "search", "quien gano el partido de nacional anoche")
    assert nothing.returncode == 0 and "No hay información" in nothing.stdout


def test_build_knowledge_follows_settings(tmp_path: Path, chroma_url: str) -> None:
    embedded = build_knowledge(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"))
    assert not embedded.is_indexed() and (tmp_path / "chroma").is_dir()
    server = build_knowledge(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", chroma_mode=ChromaMode.HTTP,
                                           chroma_url=chroma_url))
    assert server.client.heartbeat() > 0


def test_unreachable_server_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import StoreError

    with pytest.raises(StoreError, match="ChromaDB"):
        build_knowledge(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", chroma_mode=ChromaMode.HTTP,
                                      chroma_url="http://127.0.0.1:9"))
    monkeypatch.setenv("MESTOCKER_CHROMA_MODE", "http")
    monkeypatch.setenv("MESTOCKER_CHROMA_URL", "http://127.0.0.1:9")
    out = kb(tmp_path, "search", "hola", keep_env=True)
    assert out.returncode == 1 and "no se pudo conectar a ChromaDB" in out.stderr and "Traceback" not in out.stderr


def test_search_modes_are_the_retrieval_modes() -> None:
    from api.cli import build_parser
    from knowledge import RetrievalMode

    args = build_parser().parse_args(["kb", "search", "hola", "--mode", "dense"])
    assert args.mode == "dense" and args.k == 4
    for mode in RetrievalMode:
        assert build_parser().parse_args(["kb", "search", "hola", "--mode", mode.value]).mode == mode.value
    with pytest.raises(SystemExit):
        build_parser().parse_args(["kb", "search", "hola", "--mode", "magic"])
