"""Field-encryption overhead: `python -m bench.bench_field_crypto [--rows N] [--repeats R]`.

The same ORM operations on two tables shaped like `buyers` (five personal text columns), one with
plain `String` columns and one with `EncryptedString` (AES-256-GCM through the real key ring, plus
the blind index an insert computes). Reported: median wall time of R repeats and the ratio
encrypted / clear, for
- write: insert N rows in one transaction (one flush per 100 rows);
- read all: load the N rows as objects;
- read one: N single-row loads by primary key, each in its own session (the per-request path).
Prints Markdown (docs/data-protection.md holds a copy). SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from commerce.shared.field_crypto import EncryptedString, blind_index, install_field_cipher
from infra.crypto import KeyRing
from infra.settings import Settings


class _Base(DeclarativeBase):
    pass


class Clear(_Base):
    __tablename__ = "clear_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    cedula: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(200))


class Sealed(_Base):
    __tablename__ = "sealed_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedString("bench.name"))
    cedula: Mapped[str] = mapped_column(EncryptedString("bench.cedula"))
    phone: Mapped[str] = mapped_column(EncryptedString("bench.phone"))
    email: Mapped[str] = mapped_column(EncryptedString("bench.email"))
    address: Mapped[str] = mapped_column(EncryptedString("bench.address"))
    email_index: Mapped[str] = mapped_column(String(64))


def person(i: int) -> dict[str, str]:
    return {"name": f"Persona Número {i} Gómez", "cedula": f"{1_000_000_000 + i}", "phone": f"+57 310 {i:07d}",
            "email": f"persona{i}@example.co", "address": f"Calle {i % 200} # {i % 90}-{i % 70}, Apto {i % 900}"}


def timed_pair(clear: Callable[[], None], sealed: Callable[[], None], repeats: int) -> tuple[float, float]:
    """Median times of both, alternating runs so that a noisy neighbour hits both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for work, into in ((clear, samples[0]), (sealed, samples[1])):
            started = time.perf_counter()
            work()
            into.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def run(rows: int, repeats: int) -> list[tuple[str, float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-crypto-"))
    install_field_cipher(KeyRing(Settings(_env_file=None, data_dir=folder)))  # type: ignore[call-arg]
    engine = create_engine(f"sqlite:///{folder / 'bench.db'}")
    _Base.metadata.create_all(engine)

    def write(model: type[Clear] | type[Sealed]) -> Callable[[], None]:
        def work() -> None:
            with Session(engine) as session:
                session.query(model).delete()
                for i in range(rows):
                    values = person(i)
                    extra = {"email_index": blind_index(values["email"])} if model is Sealed else {}
                    session.add(model(id=i + 1, **values, **extra))
                    if i % 100 == 99:
                        session.flush()
                session.commit()
        return work

    def read_all(model: type[Clear] | type[Sealed]) -> Callable[[], None]:
        def work() -> None:
            with Session(engine) as session:
                # Every personal value of every row (Sealed: 5 decryptions per row).
                people = session.execute(select(model.name, model.cedula, model.phone, model.email,
                                                model.address)).all()
                assert len(people) == rows and all(people[0])
        return work

    def read_one(model: type[Clear] | type[Sealed]) -> Callable[[], None]:
        def work() -> None:
            for i in range(1, rows + 1):
                with Session(engine) as session:
                    assert session.get(model, i) is not None
        return work

    results = []
    for label, op in (("write (insert)", write), ("read all", read_all), ("read one by id", read_one)):
        clear, sealed = timed_pair(op(Clear), op(Sealed), repeats)
        results.append((label, clear, sealed))
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    results = run(args.rows, args.repeats)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"`python -m bench.bench_field_crypto --rows {args.rows} --repeats {args.repeats}` on {now}; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}, SQLite file.\n")
    print("| operation | rows | clear (ms) | encrypted (ms) | ratio | per value (µs, extra) |")
    print("|---|---|---|---|---|---|")
    for label, clear, sealed in results:
        extra = (sealed - clear) / (args.rows * 5) * 1e6
        print(f"| {label} | {args.rows} | {clear * 1000:.1f} | {sealed * 1000:.1f} | {sealed / clear:.2f}× | "
              f"{extra:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
