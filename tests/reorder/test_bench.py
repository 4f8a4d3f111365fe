"""The reorder benchmark's cycle section runs on a small generated world (it must not rot)."""

from __future__ import annotations

from bench.bench_reorder import bench_cycle, generate


def test_generated_world_mixes_steady_and_intermittent_series() -> None:
    rows, demand = generate(600)
    zero_days = [float((s.units == 0).mean()) for s in demand.values() if s is not None]
    assert len(rows) == len(demand) == 600
    assert sum(share < 0.1 for share in zero_days) > 200 and sum(share > 0.5 for share in zero_days) > 200


def test_cycle_section_reports_wall_time_and_memory() -> None:
    lines = bench_cycle(600)
    row = next(line for line in lines if line.startswith("| 600 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].endswith(" s") and cells[2].endswith(" MB") and int(cells[3].replace(",", "")) > 0
