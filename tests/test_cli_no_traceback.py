"""No traceback reaches a user: every `rag` command, given broken input, prints a message (what, where,
what to do) and exits 1 (runtime) or 2 (usage).

In-process through `rag.cli.main` (the console script's own error translation); a few cases run the
real console script in a subprocess because the operating system's argv/stdin bytes are the point.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import main
from rag.query_check import MAX_QUERY_CHARS

from _index_support import FILE_A, index_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, e5_model):  # noqa: F811
    return index_of(tmp_path_factory.mktemp("cli_broken"), {"a.txt": FILE_A}, e5_model).index_dir


def run(argv: list[str], capsys, monkeypatch, stdin: bytes = b"") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("RAG_LLM_GGUF", raising=False)
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def _broken_index(tmp: Path, kind: str) -> Path:
    folder = tmp / f"idx_{kind}"
    folder.mkdir()
    if kind == "corrupt":
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    elif kind == "truncated":
        (folder / "manifest.json").write_text('{"format": 1, "embedding_model": "e5-small"', encoding="utf-8")
    elif kind == "other_model":
        (folder / "manifest.json").write_text('{"format": 999, "embedding_model": "x", "models": []}', encoding="utf-8")
    return folder


CASES = [
    # (argv with {index}/{tmp} placeholders, expected exit code, words the message must contain)
    (["search", "亩均效益", "--index", "{tmp}/nowhere"], 1, "索引"),
    (["search", "亩均效益", "--index", "{broken:corrupt}"], 1, "--rebuild"),
    (["search", "亩均效益", "--index", "{broken:truncated}"], 1, "索引"),
    (["search", "亩均效益", "--index", "{broken:other_model}"], 1, "索引"),
    (["search", "", "--index", "{index}"], 2, "为空"),
    (["search", "？！😀🎉", "--index", "{index}"], 2, "没有可检索的文字"),
    (["search", "问" * (MAX_QUERY_CHARS + 1), "--index", "{index}"], 2, "过长"),
    (["search", "\udcff亩均", "--index", "{index}"], 2, "UTF-8"),
    (["search", "亩均", "--top-k", "0", "--index", "{index}"], 2, "top-k"),
    (["search", "亩均", "--date-from", "2023-02-31", "--index", "{index}"], 2, "日期"),
    (["ask", "……", "--index", "{index}"], 2, "没有可检索的文字"),
    (["ask", "亩均效益", "--index", "{tmp}/nowhere"], 1, "索引"),
    (["ask", "问" * 100_000, "--index", "{index}"], 2, "过长"),
    (["similar", "nope.txt:0:0:0", "--index", "{index}"], 2, "nope.txt:0:0:0"),
    (["similar", "🙂", "--index", "{index}"], 2, "没有可检索的文字"),
    (["info", "--index", "{tmp}/nowhere"], 1, "索引"),
    (["info", "--index", "{broken:corrupt}"], 1, "--rebuild"),
    (["ingest", "{tmp}/missing.txt", "--index", "{tmp}/new"], 1, "missing.txt"),
    (["ingest", "{tmp}/deep.jsonl", "--index", "{tmp}/new"], 1, "deep.jsonl"),
    (["speeches", "{tmp}/deep.jsonl"], 1, "deep.jsonl"),
    (["eval", "--domain", "nosuch"], 2, "nosuch"),
    (["serve", "--host", "0.0.0.0"], 2, "--auth"),
    (["serve", "--host", "0.0.0.0", "--auth", "nopassword"], 2, "用户名:密码"),
    (["serve", "--auth-file", "{tmp}/no_such_file"], 2, "no_such_file"),
    (["serve", "--host", "0.0.0.0", "--no-auth", "--allow-upload"], 2, "上传"),
    (["serve", "--host", "0.0.0.0", "--no-auth", "--auth", "a:b"], 2, "--no-auth"),
    (["chat", "--index", "{tmp}/nowhere"], 1, "索引"),
    (["nonsense-command"], 2, ""),
]


@pytest.mark.parametrize("argv,code,words", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_broken_input_is_a_message_not_a_traceback(argv, code, words, index_dir, tmp_path, capsys, monkeypatch):
    (tmp_path / "deep.jsonl").write_text("[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")

    def fill(arg: str) -> str:
        if arg.startswith("{broken:"):
            return str(_broken_index(tmp_path, arg[8:-1]))
        return arg.replace("{index}", str(index_dir)).replace("{tmp}", str(tmp_path))

    got, out, err = run([fill(a) for a in argv], capsys, monkeypatch)
    assert "Traceback" not in out + err
    assert got == code, err
    assert words in err and err.strip()


def test_invalid_utf8_on_stdin_is_reported_and_the_next_line_answered(index_dir, capsys, monkeypatch):
    stdin = b"\xff\xe4\xba\xa9\xe5\x9d\x87\n\xf0\x9f\x98\x80\n" + "新增市场主体\n".encode()
    for command in ("search", "ask"):
        code, out, err = run([command, "-", "--index", str(index_dir)], capsys, monkeypatch, stdin)
        assert code == 2 and "Traceback" not in out + err
        assert "第 1 行" in err and "UTF-8" in err and "第 2 行" in err  # bad bytes, then emoji only
        assert len(out.strip().splitlines()) == 1 and "新增市场主体" in out  # the third line still answered


def test_chat_goes_on_after_a_rejected_line(index_dir, capsys, monkeypatch):
    stdin = b"\xff\n" + "！！！\n新增市场主体多少户?\nexit\n".encode()
    code, out, err = run(["chat", "--json", "--index", str(index_dir)], capsys, monkeypatch, stdin)
    assert code == 2 and "Traceback" not in out + err
    assert err.count("已跳过") == 2 and out.count('"question"') == 1


def _console(args: list, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAG_LLM")}
    full.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}, **(env or {}))
    return subprocess.run([sys.executable, "-c", "from rag.cli import main; main()", *args], input=stdin,
                          capture_output=True, env=full, timeout=300)


def test_console_script_with_undecodable_argv_and_stdin(index_dir):
    result = _console([b"search", b"\xff\xe4\xba\xa9", b"--index", str(index_dir).encode()])
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and "UTF-8" in err and b"Traceback" not in result.stderr
    piped = _console(["search", "-", "--index", str(index_dir)], stdin=b"\xff\xe4\xba\xa9\n" + "亩均效益\n".encode())
    assert piped.returncode == 2 and b"Traceback" not in piped.stderr
    assert piped.stdout.decode().count('"query"') == 1


def test_serve_on_a_port_in_use_names_the_port_and_the_way_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _console(["serve", "--port", str(port)])
        via_env = _console(["serve"], env={"PORT": str(port)})
    err = result.stderr.decode()
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert str(port) in err and "--port" in err and "PORT=" in err
    assert via_env.returncode == 2 and str(port) in via_env.stderr.decode()


def test_an_unexpected_defect_is_one_line_not_a_traceback(capsys, monkeypatch):
    from rag.config import Settings

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(Settings, "from_env", broken)
    code, out, err = run(["info"], capsys, monkeypatch)
    assert code == 1 and "Traceback" not in err and "内部错误" in err and "RAG_DEBUG" in err
