"""Writing a synthetic run to disk: chunks of families, in parallel, then joined.

Each family draws from its own generator seeded by (run seed, family index)
and numbers its rows from its own index, so a chunk's output does not depend
on which process wrote it or on how families were split into chunks: two runs
with the same seed give byte-identical files whatever the core count.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import BinaryIO

from .csvrows import CsvRows
from .emitter import FAULTS_HEADER, TRUTH_HEADER, Emitter
from .extracts import EXTRACTS
from .families import build_household
from .risk import household_rows

PEOPLE_HEADER = [
    "person_id", "household_id", "role", "sex", "dob", "ethnicity", "disability",
    "deprivation_decile", "income_band", "family_size",
    "first_name", "surname", "nhs_number", "upn", "family_kind",
]  # fmt: skip
CHUNK_FAMILIES = 2_000
PARTS = ".synth-parts"


def family_seed(seed: int, family_index: int) -> int:
    """The seed of one family's generator: independent of chunking."""
    return seed * 1_000_000 + family_index


def _part_dir(root: Path, start: int) -> Path:
    return root / f"{start:07d}"


def write_chunk(task: tuple[int, int, int, str]) -> tuple[int, dict[str, int]]:
    """Generate families ``start`` to ``stop`` into a part directory."""
    seed, start, stop, root = task
    part = _part_dir(Path(root), start)
    part.mkdir(parents=True, exist_ok=True)
    persons = 0
    with ExitStack() as stack:

        def open_part(name: str):
            return stack.enter_context(open(part / name, "w", encoding="utf-8", newline=""))

        files = {ex.name: open_part(f"{ex.name}.csv") for ex in EXTRACTS}
        out = Emitter(files, open_part("truth.csv"), open_part("faults.csv"))
        people = CsvRows(open_part("people.csv")).write
        for family_index in range(start, stop):
            rng = random.Random(family_seed(seed, family_index))
            hh = build_household(rng, family_index)
            size, decile = str(len(hh.members)), str(hh.decile)
            for p in hh.members:
                people(
                    [
                        p.person_id, hh.household_id, p.role, p.sex,
                        date.fromordinal(p.dob).isoformat(), p.ethnicity,
                        "yes" if p.disability else "no", decile, hh.income_band, size,
                        p.first_name, p.surname, p.nhs, p.upn, hh.kind,
                    ]
                )  # fmt: skip
            persons += len(hh.members)
            household_rows(hh, rng, out)
    return persons, out.rows


class _Joiner:
    """Appends each finished chunk's part files to the run's files, in family order."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        self.targets: dict[str, BinaryIO] = {}
        headers = {f"{ex.name}.csv": ex.header for ex in EXTRACTS}
        headers |= {"truth.csv": TRUTH_HEADER, "faults.csv": FAULTS_HEADER}
        headers["people.csv"] = PEOPLE_HEADER
        for part_name, header in headers.items():
            folder = out_dir / "extracts" if part_name in _EXTRACT_FILES else out_dir
            fh = stack.enter_context((folder / part_name).open("wb"))
            fh.write((",".join(header) + "\n").encode("utf-8"))
            self.targets[part_name] = fh

    def append(self, part: Path) -> None:
        for part_name, fh in self.targets.items():
            with open(part / part_name, "rb") as src:
                _append_file(src, fh)
        shutil.rmtree(part)


def _append_file(src: BinaryIO, dst: BinaryIO) -> None:
    """Copy in the kernel where it can (Linux ``copy_file_range``): the main process
    otherwise spends a core's worth of time shuffling 600 MB through Python while
    the two workers generate."""
    dst.flush()
    copied = 0
    try:
        size = os.fstat(src.fileno()).st_size
        while copied < size:
            sent = os.copy_file_range(src.fileno(), dst.fileno(), size - copied)
            if sent == 0:
                break
            copied += sent
    except (AttributeError, OSError):  # not Linux, not a real file, or a filesystem without it
        pass
    dst.seek(0, os.SEEK_END)
    src.seek(copied)  # whatever the kernel did not copy, Python does
    shutil.copyfileobj(src, dst, 1 << 20)


_EXTRACT_FILES = {f"{ex.name}.csv" for ex in EXTRACTS}


def write_run(
    families: int,
    seed: int,
    out_dir: Path,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, dict[str, int]]:
    """Write every file of a run; returns people count and rows per extract."""
    (out_dir / "extracts").mkdir(parents=True, exist_ok=True)
    (out_dir / "sources").mkdir(parents=True, exist_ok=True)
    for ex in EXTRACTS:
        (out_dir / "sources" / f"{ex.name}.toml").write_text(ex.toml(), encoding="utf-8")
    root = out_dir / PARTS
    shutil.rmtree(root, ignore_errors=True)
    tasks = [
        (seed, start, min(families, start + CHUNK_FAMILIES), str(root))
        for start in range(0, families, CHUNK_FAMILIES)
    ]
    persons = 0
    rows = {ex.name: 0 for ex in EXTRACTS}
    done = 0
    if progress:
        progress(0, families)
    try:
        with ExitStack() as stack:
            joiner = _Joiner(out_dir, stack)
            workers = min(len(tasks), os.cpu_count() or 1, 2)
            results: Iterator[tuple[int, dict[str, int]]]
            if workers > 1:
                method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
                pool = stack.enter_context(multiprocessing.get_context(method).Pool(workers))
                results = pool.imap(write_chunk, tasks)
            else:
                results = map(write_chunk, tasks)
            for task, (n, counts) in zip(tasks, results, strict=True):
                joiner.append(_part_dir(root, task[1]))
                persons, done = persons + n, done + task[2] - task[1]
                for name, count in counts.items():
                    rows[name] += count
                if progress:
                    progress(done, families)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return persons, rows
