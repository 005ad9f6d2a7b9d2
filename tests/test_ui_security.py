"""A deployment shared by several people: who may connect, what the server hands out, where uploads
land, that parsing an upload is bounded, and that nothing is left behind.

The live part runs the real app (`create_app` + `launch_app`, real index on disk) with a login and
talks HTTP to it: Gradio's file routes must serve nothing outside its own cache folder.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.errors import InputError, UsageError
from rag.ingest.pipeline import ingest_paths
from rag.records import Answer
from ui.access import is_loopback, resolve_access
from ui.tabs.chat import EXPORT_MAX_AGE, write_markdown
from ui.parse_worker import parse_isolated
from ui.upload import STALE_STAGING_SECONDS, UploadManager, sanitize_name

from _index_support import FILE_A, FILE_B, index_of

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "alice", "pw-for-tests"


# ---- access rules -------------------------------------------------------------------------------------
def test_localhost_needs_no_login_and_uploads_stay_off_unless_asked():
    access = resolve_access("127.0.0.1")
    assert not access.auth and not access.allow_upload and not access.warnings
    assert resolve_access("127.0.0.1", allow_upload=True).allow_upload
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_other_addresses_need_a_login_or_an_explicit_no_auth(tmp_path):
    with pytest.raises(UsageError, match="--auth"):
        resolve_access("0.0.0.0")
    open_access = resolve_access("0.0.0.0", no_auth=True)
    assert not open_access.auth and "--no-auth" in open_access.warnings[0]
    assert resolve_access("0.0.0.0", auth="a:b,c:d:e").auth == (("a", "b"), ("c", "d:e"))
    assert resolve_access("0.0.0.0", env_auth="x:y").auth == (("x", "y"),)
    logins = tmp_path / "logins"
    logins.write_text("# team\nalice:one\nbob:two\n", encoding="utf-8")
    assert resolve_access("0.0.0.0", auth_file=logins, allow_upload=True).auth == (("alice", "one"), ("bob", "two"))
    with pytest.raises(UsageError, match="上传"):
        resolve_access("0.0.0.0", no_auth=True, allow_upload=True)


# ---- the live server ----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5_model):  # noqa: F811
    from ui.app import launch_app
    from ui.wiring import create_app

    root = tmp_path_factory.mktemp("ui_security")
    settings = index_of(root, {"a.txt": FILE_A}, e5_model)
    demo = create_app(settings, root / "uploads", allow_upload=True, max_upload_mb=1)
    port = _free_port()
    launch_app(demo, "127.0.0.1", port, block=False, auth=((USER, PASSWORD),), max_upload_mb=1)
    yield f"http://127.0.0.1:{port}", root
    demo.close()


@contextlib.contextmanager
def _login(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


def test_without_login_nothing_is_served(server):
    base, root = server
    with httpx.Client(base_url=base, timeout=30) as anonymous:
        assert anonymous.get("/config").status_code == 401
        assert anonymous.get(f"/gradio_api/file={ROOT / 'README.md'}").status_code == 401
        upload = anonymous.post("/gradio_api/upload", files=[("files", ("a.txt", b"x"))])
        assert upload.status_code == 401
        assert anonymous.post("/login", data={"username": USER, "password": "wrong"}).status_code == 400


def test_file_routes_serve_only_the_apps_own_cache(server):
    base, root = server
    index_file = next((root / "index").rglob("chunks*"), root / "index" / "manifest.json")
    forbidden = ["/etc/passwd", str(root / "index" / "manifest.json"), str(index_file),
                 str(ROOT / "pyproject.toml"), str(ROOT / "rag" / "config.py"), str(root / "corpus" / "a.txt"),
                 "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd"]
    with _login(base) as client:
        assert client.get("/config").status_code == 200
        for target in forbidden:
            for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
                response = client.get(route + target)
                assert response.status_code != 200 or "root:" not in response.text and "[project]" not in response.text, \
                    (route, target, response.status_code)
                assert response.status_code in (400, 403, 404, 405), (route, target, response.status_code)
        # the route does serve what the app itself put in its cache: the test can tell the difference
        uploaded = client.post("/gradio_api/upload", files=[("files", ("ok.txt", "会议".encode()))]).json()[0]
        assert client.get(f"/gradio_api/file={uploaded}").content == "会议".encode()


def test_upload_names_cannot_escape_the_cache(server, tmp_path):
    base, root = server
    cwd_escape = Path.cwd().parent / "zy_escape.txt"
    absolute = Path("/tmp/zy_absolute_escape.txt")
    for leftover in (cwd_escape, absolute):
        leftover.unlink(missing_ok=True)
    with _login(base) as client:
        names = ["../zy_escape.txt", "../../../../tmp/zy_absolute_escape.txt", str(absolute), "..\\..\\zy_escape.txt"]
        saved = client.post("/gradio_api/upload", files=[("files", (n, b"x")) for n in names]).json()
        too_big = client.post("/gradio_api/upload", files=[("files", ("big.txt", b"x" * (2 * 1024 * 1024)))])
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()
    assert len(saved) == len(names)
    assert all(Path(p).resolve().is_relative_to(cache) for p in saved), saved
    assert not cwd_escape.exists() and not absolute.exists()
    assert too_big.status_code == 413  # --max-upload-mb 1


# ---- uploads on disk ----------------------------------------------------------------------------------
def _parse_ok(paths, cancel):
    from rag.parse import load_corpus

    corpus = load_corpus(list(paths))
    return list(corpus.speeches), list(corpus.warnings)


def _manager(tmp_path: Path) -> UploadManager:
    return UploadManager(tmp_path / "uploads", _parse_ok, lambda paths, progress: 0, taken=set)


def test_hostile_names_are_flattened_into_the_upload_folder(tmp_path):
    assert sanitize_name("../../x.txt") == "x.txt" and sanitize_name("/etc/passwd.txt") == "passwd.txt"
    assert sanitize_name("..\\..\\win.txt") == "win.txt" and sanitize_name("-rf .txt") == "-rf.txt"
    folder = tmp_path / "in" / "deep"
    folder.mkdir(parents=True)
    src = folder / "..%2F..%2Fx.txt"
    src.write_text(FILE_B, encoding="utf-8")
    manager = _manager(tmp_path)
    staged = manager.stage([src])
    assert staged.files and all(p.resolve().is_relative_to((tmp_path / "uploads").resolve()) for p in staged.files)
    manager.commit(staged, lambda f, m: None)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != src]
    assert all(p.resolve().is_relative_to((tmp_path / "uploads").resolve()) for p in written), written


def test_failed_and_abandoned_previews_leave_no_staging_copies(tmp_path):
    manager = _manager(tmp_path)
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    staged = manager.stage([bad])
    assert staged.errors and not staged.files
    staging = tmp_path / "uploads" / ".staging"
    assert not any(staging.iterdir())  # the failed parse left nothing
    good = tmp_path / "b.txt"
    good.write_text(FILE_B, encoding="utf-8")
    abandoned = manager.stage([good])  # previewed, never confirmed
    assert abandoned.folder.is_dir()
    old = time.time() - STALE_STAGING_SECONDS - 10
    os.utime(abandoned.folder, (old, old))
    manager.stage([bad])
    assert not abandoned.folder.exists()
    cancel = threading.Event()
    cancel.set()
    cancelled = manager.stage([good], cancel)
    assert not cancelled.folder.exists()


def test_answer_exports_share_one_folder_and_old_ones_go(tmp_path):
    answers = [Answer(question="问", answer="答[1]", answerable=True, mode="extractive")]
    first = Path(write_markdown(answers, tmp_path))
    old = time.time() - EXPORT_MAX_AGE - 10
    os.utime(first.parent, (old, old))
    paths = [Path(write_markdown(answers, tmp_path)) for _ in range(5)]
    assert not first.exists() and all(p.name == "conversation.md" and p.parent.parent == tmp_path for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.parent.name for p in paths)
    default = Path(write_markdown(answers))  # without a folder: one shared folder for the process
    assert Path(write_markdown(answers)).parent.parent == default.parent.parent
    assert default.parent.parent.name.startswith("zhengyan-export-")


# ---- bounded parsing of uploads ------------------------------------------------------------------------
def test_upload_parsing_runs_in_a_limited_worker(tmp_path):
    small = tmp_path / "a.txt"
    small.write_text(FILE_A, encoding="utf-8")
    speeches, _ = parse_isolated([small])
    assert {s.speaker for s in speeches} == {"林晓", "何峰"}
    big = tmp_path / "big.txt"
    big.write_text(FILE_A * 4000, encoding="utf-8")  # ~3 MB: seconds of CPU, far over a 1 s limit
    with pytest.raises(InputError, match="资源限制"):
        parse_isolated([big], cpu_seconds=1)
    try:  # 64 MB of address space: the worker fails (how depends on where memory ran out), the server does not
        speeches, warnings = parse_isolated([small], memory_bytes=64 * 1024 * 1024)
        assert not speeches and warnings
    except InputError as exc:
        assert "内存" in str(exc) or "资源限制" in str(exc)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(InputError, match="取消"):
        parse_isolated([big], cancel)


# ---- Markdown export ----------------------------------------------------------------------------------
def test_markdown_export_escapes_document_html_and_never_links():
    from dataclasses import replace as dc_replace

    from rag.records import Citation, Hit
    from ui.render.cards import answer_markdown, md_escape

    from _answer_support import make_chunks

    hostile = ('详见<a href="http://evil.example/x">这里</a><img src=x onerror=alert(1)>，'
               "[点击](http://evil.example/a_(b)) ![图](http://evil.example/p.png) 原文 https://www.gov.cn/a_(1).html）。")
    chunk = dc_replace(make_chunks()[0], text=hostile, speaker="<script>x</script>", meeting="[会](http://e.example)")
    answer = Answer(question="问<b>?", answer=f"{hostile}[1]", answerable=True, mode="extractive",
                    citations=(Citation(1, Hit(chunk, 1.0), hostile),))
    md = answer_markdown(answer)
    assert "<a " not in md and "<img" not in md and "<script>" not in md and "<b>" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    assert "](http" not in md and "![" not in md  # no Markdown link or image survives
    assert "`https://www.gov.cn/a_(1).html`）" in md  # the URL keeps its ")", the CJK bracket stays outside
    assert "）" not in md_escape("http://x.cn/a_(b)")


# ---- uploads carry their uploader and can be left out of answers ----------------------------------------
def test_uploads_are_recorded_with_their_uploader_and_can_be_excluded(tmp_path, e5_model):  # noqa: F811
    from rag.records import Filters
    from rag.retrieve.retriever import Retriever
    from ui.tabs.upload import uploader_of

    settings = index_of(tmp_path, {"a.txt": FILE_A}, e5_model)

    def index_files(paths, progress):
        return ingest_paths(list(paths), settings, embedders=[e5_model]).added

    manager = UploadManager(tmp_path / "uploads", _parse_ok, index_files, taken=set)
    src = tmp_path / "fuling.txt"
    src.write_text(FILE_B, encoding="utf-8")
    manager.commit(manager.stage([src]), lambda f, m: None, uploader="alice")
    origins = manager.origins()
    assert origins["fuling.txt"]["uploader"] == "alice" and len(origins["fuling.txt"]["sha256"]) == 64
    assert manager.uploaded_sources() == {"fuling.txt"}

    retriever = Retriever.open(settings, embedders={e5_model.name: e5_model})
    assert any(h.chunk.source == "fuling.txt" for h in retriever.search("云溪区新增市场主体", 5))
    left_out = retriever.search("云溪区新增市场主体", 5, Filters(exclude_sources=manager.uploaded_sources()))
    assert left_out and all(h.chunk.source != "fuling.txt" for h in left_out)

    class Request:
        username = None
        client = type("Client", (), {"host": "10.0.0.7"})()

    assert uploader_of(Request()) == "未登录（10.0.0.7）"
