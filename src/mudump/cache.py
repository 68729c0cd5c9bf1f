"""Where mudump keeps what it computes once (the user cache directory), and the one place that
reads and writes its entries.

``MUDUMP_CACHE_DIR`` overrides the default (platformdirs' user cache dir for "mudump").

A damaged cache never stops the program:

* **Unusable directory.** If the cache directory (or one of its subdirectories) cannot be
  created, is a file, or cannot be written, mudump uses a fresh temporary directory instead,
  for the rest of the process, and says so once in a :class:`CacheWarning`.
* **Validated entries.** Every entry is an ``.npz`` holding its arrays and ``_key``, the JSON
  text of every input it was computed from. :func:`load` checks that the file can be read, that
  the stored key equals the caller's, that the required arrays are there with consistent shapes,
  and that every number is finite. A bad entry is reported in one :class:`CacheWarning` line,
  removed, and the caller rebuilds it.
* **Atomic writes.** :func:`save` writes ``<name>.<pid>.<random>.tmp.npz`` and renames it over
  the entry (``os.replace``, atomic on one file system), so a reader sees the old entry or the
  new one, never half of one. A write that fails (full disk, read-only file) is reported once
  and the computed result is still used.
* **Leftovers of killed runs.** Temporary files (``*.tmp.npz``, ``*.sha256.*.tmp``) whose last modification is
  older than :data:`STALE_TMP_SECONDS` are deleted when a cache directory is first used by a
  process. A live writer holds its temporary file for the duration of one ``np.savez`` (well
  under a second for mudump's tables, and the file's mtime moves while it is written), so a
  temporary file untouched for 10 minutes belongs to a dead process, on this host or on any
  other host sharing the directory (which is why the age is used, not the PID in the name: PIDs
  of other hosts cannot be checked).

* **Concurrent builders.** Entries are written whole and renamed, so two processes computing
  the same entry only waste work. mulder's energy-loss tables (a table file plus the SHA-256
  mudump records for it, :mod:`mudump.materials`) are a pair that cannot be renamed at once:
  their builders take turns under a file lock (``fcntl.flock``), and a table is loaded only
  after a trial load in a forked child.

Warnings go through Python's :mod:`warnings` (category :class:`CacheWarning`): the kernels do no
printing; the CLI shows each as one ``warning: ...`` line on stderr.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import tempfile
import time
import warnings
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np
import platformdirs

from .errors import MudumpWarning

#: Temporary files older than this (seconds since their last write) are left over by killed runs.
STALE_TMP_SECONDS = 600.0
#: Temporary files of entries and of mulder-table checksums (:mod:`mudump.materials`).
_TMP_GLOBS = ("*.tmp.npz", "*.sha256.*.tmp")


class CacheWarning(MudumpWarning):
    """A cache problem mudump worked around (damaged entry rebuilt, unusable directory replaced)."""


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=3)


# --- directories -------------------------------------------------------------------------------

_resolved: dict[tuple[str, str], Path] = {}  # (configured cache dir, subdirectory) -> usable path
_fallback_root: list[Path] = []


def _configured() -> Path:
    return Path(os.environ.get("MUDUMP_CACHE_DIR") or platformdirs.user_cache_dir("mudump"))


def _fallback() -> Path:
    """One temporary directory per process (removed at exit): private (mkdtemp, mode 0700)."""
    if not _fallback_root:
        root = Path(tempfile.mkdtemp(prefix="mudump-cache-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _fallback_root.append(root)
    return _fallback_root[0]


def _usable(path: Path) -> str | None:
    """None if ``path`` is (or can be made) a writable directory, else the reason it is not."""
    try:
        if path.exists() and not path.is_dir():
            return "it is not a directory"
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create it: {exc.strerror or type(exc).__name__}"
    try:  # write permission bits mean nothing to root: try a real write
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write in it: {exc.strerror or type(exc).__name__}"
    return None


def _resolve(sub: str) -> Path:
    base = _configured()
    k = (str(base), sub)
    if k not in _resolved:
        path = base / sub if sub else base
        reason = _usable(path)
        if reason is None:
            remove_stale_tmp(path)
        else:
            fb = _fallback() / sub if sub else _fallback()
            fb.mkdir(parents=True, exist_ok=True)
            what = "cache directory" if not sub else "cache subdirectory"
            _warn(f"{what} {path} is unusable ({reason}); using {fb} for this run")
            path = fb
        _resolved[k] = path
    return _resolved[k]


def cache_dir() -> Path:
    """The cache directory: the configured one, or (if unusable) a temporary one for this process."""
    return _resolve("")


def subdir(name: str) -> Path:
    """``cache_dir() / name``, created; a temporary directory instead if it is unusable."""
    root = cache_dir()
    if _fallback_root and root == _fallback_root[0]:
        path = root / name
        path.mkdir(parents=True, exist_ok=True)
        return path
    return _resolve(name)


def remove_stale_tmp(directory: Path, max_age: float = STALE_TMP_SECONDS) -> list[Path]:
    """Delete temporary files (``*.tmp.npz``, ``*.sha256.*.tmp``) under ``directory`` not written for ``max_age``
    seconds (left by killed runs; see the module docstring). Returns the deleted paths."""
    now = time.time()
    removed = []
    try:
        candidates = [p for g in _TMP_GLOBS for p in Path(directory).rglob(g)]
    except OSError:
        return removed
    for p in candidates:
        try:
            if now - p.stat().st_mtime > max_age:
                p.unlink()
                removed.append(p)
        except OSError:
            pass  # gone already (another process cleaned it) or not ours to delete
    return removed


# --- entries -----------------------------------------------------------------------------------

Shape = tuple  # of int (fixed length) or str (a length shared by every array that names it)


def key_text(inputs: Mapping) -> str:
    """The canonical text of an entry's inputs (stored in the entry and compared on read)."""
    return json.dumps(inputs, sort_keys=True)


def _check(data: dict, spec: Mapping[str, Shape]) -> str | None:
    """None if ``data`` holds every array of ``spec`` with matching shapes and only finite
    numbers, else what is wrong (one short phrase)."""
    dims: dict[str, int] = {}
    for name, shape in spec.items():
        if name not in data:
            return f"has no {name!r} array"
        a = data[name]
        if a.ndim != len(shape):
            return f"has {name!r} with {a.ndim} dimensions instead of {len(shape)}"
        for n, want in zip(a.shape, shape):
            if isinstance(want, str):
                want = dims.setdefault(want, n)
            if n != want:
                return f"has {name!r} of shape {a.shape}, inconsistent with the other arrays"
        if not np.issubdtype(a.dtype, np.number):
            return f"has a non-numeric {name!r}"
        if not np.isfinite(a).all():
            return f"holds NaN or inf in {name!r}"
    return None


def _discard(path: Path, problem: str, stat: os.stat_result | None) -> None:
    """Report a bad entry and remove it, unless another process has replaced it meanwhile."""
    try:
        now = path.stat()
        if stat is None or (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns):
            path.unlink()
        note = "removed, rebuilding it"
    except FileNotFoundError:
        note = "rebuilding it"
    except OSError:
        note = "cannot remove it; rebuilding it"
    _warn(f"cache entry {path} {problem}; {note}")


def load(
    path: Path, key: str | None, spec: Mapping[str, Shape], legacy_ok: bool = False
) -> dict[str, np.ndarray] | None:
    """The arrays of the entry at ``path``, or None if there is none or it was bad (then it has
    been reported and removed). ``key``: the :func:`key_text` of the inputs (None: shipped
    package data, which carries no key; then only readability, shapes and values are checked).
    ``legacy_ok``: accept an entry without any stored key (written before keys were stored;
    its file name is still a hash of its inputs) if its arrays pass the checks, and write it
    again with its key."""
    try:
        stat = path.stat()
    except OSError:
        return None

    def bad(problem):
        if key is None:  # package data: never delete it, the caller computes instead
            _warn(f"package data {path} {problem}; ignoring it, computing instead")
        else:
            _discard(path, problem, stat)

    try:
        with open(path, "rb") as fh:
            data = read_npz(fh)
    except Exception as exc:  # noqa: BLE001 - a damaged file raises EOFError, BadZipFile,
        # zlib.error, ValueError, OSError... depending on where it was cut: all mean "damaged"
        bad("is empty" if stat.st_size == 0 else f"is damaged (unreadable: {type(exc).__name__})")
        return None
    legacy = False
    if key is not None:
        stored = data.pop("_key", None)
        if stored is None and legacy_ok:
            legacy = True
        elif stored is None or stored.shape != () or str(stored) != key:
            bad("was written for other inputs (its stored key differs)")
            return None
    problem = _check(data, spec)
    if problem is not None:
        bad(problem)
        return None
    if legacy:
        save(path, key, data, compress=True)
    return data


def read_npz(fh) -> dict[str, np.ndarray]:
    """Every array of an .npz file, as ``np.load`` gives them (numpy's own .npy reader, writable
    arrays, object arrays refused; each member's CRC checked by zipfile), read in one pass: one
    read of the file, then from memory. A damaged file raises (BadZipFile, ValueError, ...)."""
    with zipfile.ZipFile(io.BytesIO(fh.read())) as zf:
        return {info.filename.removesuffix(".npy"): np.lib.format.read_array(io.BytesIO(zf.read(info)), allow_pickle=False)
                for info in zf.infolist()}


_unwritable: set[tuple[str, str]] = set()  # (directory, reason) of failed writes reported in this process


def save(path: Path, key: str, arrays: Mapping[str, np.ndarray], compress: bool = False) -> bool:
    """Write an entry atomically (temporary file, then rename). On failure report it (once per
    directory, reason and process: a full disk is one line, not one per entry) and return False: the caller
    still has its result, only the cache is lost."""
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{np.random.default_rng().integers(1 << 30)}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()  # built in memory, written in one call (zipfile seeks back for every member)
        (np.savez_compressed if compress else np.savez)(buf, _key=np.array(key), **arrays)
        with open(tmp, "wb") as fh:
            fh.write(buf.getbuffer())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        reason = exc.strerror or type(exc).__name__
        if (str(path.parent), reason) not in _unwritable:  # a full disk fails every write: say it once
            _unwritable.add((str(path.parent), reason))
            _warn(f"cannot write cache entry {path} ({reason}); the result is used but not kept "
                  "(further entries that fail alike are not reported)")
        return False
    return True
