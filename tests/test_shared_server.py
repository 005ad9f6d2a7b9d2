"""Shared-server gaps (issue 23, probe 6): the upload route is closed when uploads are off; login
attempts are limited per client; the server reloads a commit made by another process; temporary
folders go on SIGTERM and, after a SIGKILL, at the next start; a long-lived store that has not searched
yet survives two commits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.library import Library
from rag.retrieve.retriever import Retriever
from ui.tempfiles import remove_orphans
from ui.wiring import IndexWatcher

from _index_support import FILE_A, FILE_B, index_of

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "alice", "correct horse"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5_model):
    from ui.app import launch_app
    from ui.wiring import create_app

    root = tmp_path_factory.mktemp("shared_server")
    settings = index_of(root, {"a.txt": FILE_A}, e5_model)
    demo = create_app(settings, root / "uploads", allow_upload=False)
    port = _free_port()
    launch_app(demo, "127.0.0.1", port, block=False, auth=((USER, PASSWORD),), allow_upload=False)
    yield f"http://127.0.0.1:{port}"
    demo.close()


def test_with_uploads_off_the_upload_route_stores_nothing(server):
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    before = {p for p in cache.rglob("*")} if cache.is_dir() else set()
    with httpx.Client(base_url=server, timeout=30) as client:
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        response = client.post("/gradio_api/upload", files=[("files", ("zy_probe_upload.txt", b"x"))])
    assert response.status_code == 403
    after = {p for p in cache.rglob("*")} if cache.is_dir() else set()
    assert not any(p.name == "zy_probe_upload.txt" for p in after - before)


def test_login_attempts_are_limited_per_client(server):
    with httpx.Client(base_url=server, timeout=30) as client:
        codes = [client.post("/login", data={"username": USER, "password": f"wrong{i}"}).status_code
                 for i in range(30)]
    assert codes.count(429) >= 15 and 429 not in codes[:5]


def test_the_library_reloads_a_commit_made_elsewhere(tmp_path, e5_model):
    settings = index_of(tmp_path, {"a.txt": FILE_A}, e5_model)
    library = Library(settings, embedders={e5_model.name: e5_model})
    services = SimpleNamespace(answerer=None)
    library.retriever.search("营商环境", 3)
    assert not library.refresh()
    (tmp_path / "b.txt").write_text(FILE_B, encoding="utf-8")
    ingest_paths([tmp_path / "b.txt"], settings, embedders=[e5_model])  # another process: `rag ingest`
    watcher = IndexWatcher(library, services, interval=0.1).start()
    try:
        for _ in range(300):
            if services.answerer is not None:
                break
            time.sleep(0.1)
    finally:
        watcher.stop()
    assert services.answerer is not None
    assert any(h.chunk.source == "b.txt" for h in library.retriever.search("云溪区新增市场主体", 5))


def test_a_store_opened_before_two_commits_still_searches(tmp_path, e5_model):
    """The first commit replaces every row of the store's segment (retired, kept one commit for
    readers); the second removes its folder."""
    settings = index_of(tmp_path, {"a.txt": FILE_A}, e5_model)
    retriever = Retriever.open(settings, embedders={e5_model.name: e5_model})  # not searched yet
    for name, text in (("a.txt", FILE_A.replace("320户", "330户")), ("b.txt", FILE_B)):
        (tmp_path / "corpus" / name).write_text(text, encoding="utf-8")
        ingest_paths([tmp_path / "corpus" / name], settings, embedders=[e5_model])
    assert retriever.search("亩均效益", 3)


def test_export_folders_go_on_sigterm_and_a_killed_servers_at_the_next_start(tmp_path):
    script = ("import sys, time; sys.path.insert(0, sys.argv[1])\n"
              "from ui.tempfiles import exit_on_sigterm, process_folder\n"
              "exit_on_sigterm(); print(process_folder('zy-probe-', root=sys.argv[2]), flush=True); time.sleep(60)\n")
    folders = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        child = subprocess.Popen([sys.executable, "-c", script, str(ROOT), str(tmp_path)], stdout=subprocess.PIPE, text=True)
        folders.append(Path(child.stdout.readline().strip()))
        assert folders[-1].is_dir()
        child.send_signal(sig)
        child.wait(30)
    assert not folders[0].exists()  # SIGTERM: removed on the way out
    assert folders[1].exists()  # SIGKILL leaves it …
    alive, unnamed = tmp_path / f"zy-probe-{os.getpid()}-mine", tmp_path / "zy-probe-no_pid"
    alive.mkdir()
    unnamed.mkdir()
    assert remove_orphans("zy-probe-", root=tmp_path) == [folders[1].name]  # … until the next start
    assert alive.exists() and unnamed.exists()  # a live server's, and one whose owner is unknown
