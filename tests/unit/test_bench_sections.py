"""Benchmark sections survive a rewrite of docs/benchmarks.md by another benchmark."""

from __future__ import annotations

from pathlib import Path

from bench.sections import sections, with_sections, write_section


def test_a_section_is_replaced_in_place_and_kept_by_a_rewrite(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nold body\n", encoding="utf-8")
    write_section(doc, "chat", "## Chat\n1 turn/s")
    write_section(doc, "router", "## Router\nfast")
    write_section(doc, "chat", "## Chat\n2 turns/s")
    text = doc.read_text(encoding="utf-8")
    assert text.count("section:chat -->") == 2 and "1 turn/s" not in text and "2 turns/s" in text
    assert text.index("## Chat") < text.index("## Router")
    rewritten = with_sections("# Benchmarks\n\nnew body\n", text)
    assert "old body" not in rewritten and set(sections(rewritten)) == {"chat", "router"}
