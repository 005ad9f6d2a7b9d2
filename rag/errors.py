"""The library's exceptions. Messages name the bad value and the fix; only the CLI maps them to exit codes.
Callers that act on an error read its fields, never its message."""

from __future__ import annotations

from typing import Any, Mapping

REBUILD = "运行 `rag ingest --rebuild`"


class RagError(Exception):
    """Base class: a runtime failure the user can act on (CLI exit code 1)."""


class InputError(RagError):
    """A bad input file or record (which file, what is wrong, what to do)."""


class IndexMissingError(RagError):
    """No index where one was expected."""


class IndexMismatchError(RagError):
    """An index built with another model, format or corpus than the one asked for.

    `reason` says what does not fit (and where), `fix` what to do; the message is both.

    >>> e = IndexMismatchError("索引模型不符: embeddings/", "运行 `rag ingest --rebuild`")
    >>> (e.reason, str(e))
    ('索引模型不符: embeddings/', '索引模型不符: embeddings/ — 运行 `rag ingest --rebuild`')
    """

    def __init__(self, reason: str, fix: str = REBUILD) -> None:
        self.reason, self.fix = reason, fix
        super().__init__(f"{reason} — {fix}")


class IndexCorruptError(IndexMismatchError):
    """A damaged index: a file missing, truncated or edited, a row that fails its check (`location`, `why`)."""

    def __init__(self, location: Any, why: str) -> None:
        self.location, self.why = str(location), why
        super().__init__(f"索引已损坏: {location} ({why})", f"{REBUILD} 重建 (rebuild the index)")


class IndexStaleError(IndexMismatchError):
    """An index written by an older parser, chunker or storage format: `found` and `wanted` map each
    differing version key to the index's value and the one this code needs.

    >>> e = IndexStaleError("embeddings/", {"parser_version": 4}, {"parser_version": 5})
    >>> e.reason
    '索引版本过旧: embeddings/ (parser_version 4，需要 5)'
    """

    def __init__(self, location: Any, found: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
        self.location, self.found, self.wanted = str(location), dict(found), dict(wanted)
        diff = "；".join(f"{k} {found.get(k)}，需要 {wanted[k]}" for k in wanted)
        super().__init__(f"索引版本过旧: {location} ({diff})")


class IndexBusyError(RagError):
    """Another process is writing the index (it holds the index lock)."""


class ModelUnavailableError(RagError):
    """An embedding model or LLM that cannot be loaded offline."""


class UsageError(RagError):
    """A bad argument combination (CLI exit code 2)."""


def check_versions(location: Any, recorded: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> None:
    """Raise IndexStaleError when a recorded version differs from the wanted one (None: no check).

    >>> check_versions("x", {"chunker_version": "p5-c6"}, {"chunker_version": "p5-c6"})
    >>> check_versions("x", {}, {"parser_version": 5})
    Traceback (most recent call last):
    ...
    rag.errors.IndexStaleError: 索引版本过旧: x (parser_version None，需要 5) — 运行 `rag ingest --rebuild`
    """
    stale = {k: v for k, v in (wanted or {}).items() if recorded.get(k) != v}
    if stale:
        raise IndexStaleError(location, {k: recorded.get(k) for k in stale}, stale)
