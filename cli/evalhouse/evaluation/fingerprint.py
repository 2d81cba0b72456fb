"""What each input file was when a build read it: the rows of `inputs_manifest`.

A build reads every input file once (into `labels`, `train`, `candidate_files`). Before
that read each file is fingerprinted here (size, modification time, blake2b of its bytes,
streamed in 1 MiB chunks so a 10 GB file never sits in memory); after the build it is
stat'ed again. A file whose size or modification time moved was rewritten while the
build read it: its tables may hold part of each version, so the build fails and says so
rather than report metrics that match neither version.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.errors import NodeError
from evalhouse.project.secrets import mask

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

CHUNK_BYTES = 1 << 20


class InputChangedError(NodeError):
    """An input file changed between its fingerprint and the end of the read."""


@dataclass(frozen=True)
class Fingerprint:
    role: str  # labels, train, items or candidate
    name: str  # the candidate's name; the role for the others
    written: str  # the path as project.yml gives it
    path: Path
    size_bytes: int
    mtime_ns: int
    blake2b: str | None  # None when only stat'ed (compile, show)

    def as_row(self) -> dict[str, Any]:
        """The row of inputs_manifest; the path masked as everything evalhouse writes."""
        modified = datetime.fromtimestamp(self.mtime_ns / 1e9, tz=timezone.utc).replace(tzinfo=None)
        return {
            "role": self.role,
            "name": self.name,
            "path": mask(self.written, ("path",)),
            "size_bytes": self.size_bytes,
            "modified_at": modified.isoformat(sep=" ", timespec="microseconds"),
            "blake2b": self.blake2b,
        }


def read_inputs(project: LoadedProject) -> list[tuple[str, str, str, Path]]:
    """(role, name, path as written, resolved path) of every file the build reads once."""
    evaluation = project.config.evaluation
    out = []
    for role in ("labels", "train", "items"):
        value = getattr(evaluation, role, None)
        if isinstance(value, str) and value:
            out.append((role, role, value, project.resolve_path(value)))
    for name, entry in evaluation.candidates.items():
        written = entry if isinstance(entry, str) else entry.path
        out.append(("candidate", name, written, project.resolve_path(written)))
    return out


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_inputs(project: LoadedProject, *, with_hash: bool = True) -> list[Fingerprint]:
    """Stat (and hash) every input file that exists; a missing one is reported where it is used."""
    prints = []
    for role, name, written, path in read_inputs(project):
        try:
            before = path.stat()
            digest = file_hash(path) if with_hash else None
            after = path.stat()
        except OSError:
            continue
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise _changed(written)
        prints.append(Fingerprint(role, name, written, path, after.st_size, after.st_mtime_ns, digest))
    return prints


def check_unchanged(prints: list[Fingerprint]) -> None:
    """Raise InputChangedError for the first file whose size or modification time moved."""
    for fp in prints:
        try:
            now = os.stat(fp.path)
        except OSError:
            continue  # moved away after the read: the warehouse holds what was read
        if (now.st_size, now.st_mtime_ns) != (fp.size_bytes, fp.mtime_ns):
            raise _changed(fp.written)


def _changed(written: str) -> InputChangedError:
    return InputChangedError(
        f"file {mask(written, ('path',))} changed while it was read; run the build again",
        hint="its tables may hold part of each version; wait until whatever writes the file is done",
    )
