"""`rag speeches` end to end through the console entry point: output shapes and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_json_shape_on_seeds():
    result = run("speeches", "--json")
    assert result.returncode == 0, result.stderr
    speeches = json.loads(result.stdout)
    assert len(speeches) == 40
    keys = {"source", "meeting", "meeting_date", "speaker", "speaker_title", "unit", "title", "paragraphs"}
    assert all(keys <= set(s) for s in speeches)
    assert {s["speaker"] for s in speeches if s["source"].startswith("001")} >= {"于会文", "李春奎", "张华"}


def test_table_lists_meeting_speaker_and_counts():
    result = run("speeches", "seeds/001_215da853636daeab.txt")
    assert result.returncode == 0
    assert "李春奎" in result.stdout and "九龙坡区委书记" in result.stdout and "2023-04-23" in result.stdout


def test_help_on_every_command():
    for args in (["--help"], ["speeches", "--help"]):
        result = run(*args)
        assert result.returncode == 0 and "Usage" in result.stdout


def test_nothing_parsed_is_exit_1_with_reason(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    result = run("speeches", str(tmp_path))
    assert result.returncode == 1
    assert "empty.txt" in result.stderr and "为空" in result.stderr


def test_bad_option_is_exit_2():
    result = run("speeches", "--no-such-option")
    assert result.returncode == 2


def test_missing_path_is_exit_1_naming_it(tmp_path):
    result = run("speeches", str(tmp_path / "nowhere.txt"))
    assert result.returncode == 1
    assert "nowhere.txt" in result.stderr and "不存在" in result.stderr
