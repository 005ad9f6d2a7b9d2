"""The app's CSS and JavaScript, kept as files (style.css, aria_zh.js, conversation.js, library.js,
similar.js) and read once when the app is built."""

from pathlib import Path

STATIC = Path(__file__).parent


def static_text(name: str) -> str:
    """The text of one static file beside this module."""
    return (STATIC / name).read_text(encoding="utf-8")
