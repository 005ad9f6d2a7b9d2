"""The library's exceptions. Messages name the bad value and the fix; only the CLI maps them to exit codes."""


class RagError(Exception):
    """Base class: a runtime failure the user can act on (CLI exit code 1)."""


class InputError(RagError):
    """A bad input file or record (which file, what is wrong, what to do)."""


class IndexMissingError(RagError):
    """No index where one was expected."""


class IndexMismatchError(RagError):
    """An index built with another model, format or corpus than the one asked for."""


class IndexBusyError(RagError):
    """Another process is writing the index (it holds the index lock)."""


class ModelUnavailableError(RagError):
    """An embedding model or LLM that cannot be loaded offline."""


class UsageError(RagError):
    """A bad argument combination (CLI exit code 2)."""
