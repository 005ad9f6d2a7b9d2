"""Words the user sees for missing facts, defined once for the CLI, the UI and the answers.

A citation never guesses: a chunk without a known speaker says `UNKNOWN_SPEAKER`, and so on.
`cell(label)` is how a table or list shows one where a value would stand: "（讲话人未知）".
"""

NOT_FOUND = "资料中未找到"  # opens every refusal; the LLM is asked to say it too
UNKNOWN_SPEAKER = "讲话人未知"
UNKNOWN_POST = "职务未知"
UNKNOWN_UNIT = "单位未知"
UNKNOWN_MEETING = "会议未知"
UNKNOWN_DATE = "日期未知"


def cell(label: str) -> str:
    """A missing value in a table cell or list item, set apart from real values by brackets: "（讲话人未知）"."""
    return f"（{label}）"
