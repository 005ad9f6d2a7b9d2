"""Test data and helpers for the index, retrieval and CLI tests: two tiny invented speech files,
a speech builder, and the `rag` command run in-process. Fixtures live in conftest.py."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from typer.testing import CliRunner

from rag.cli import main
from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
from rag.records import Meeting, Paragraph, Speech
from rag.store.embed import normalise

FILE_A = """江岸区镇街和部门负责同志2023年第二季度例会上这样说

7月28日,江岸区召开镇街和部门负责同志2023年第二季度例会。会上,柳塘镇、桂山镇等单位主要负责同志先后作交流发言,以下是发言摘要。

做强特色产业 建设和美乡村

江岸区柳塘镇党委书记 林晓

上半年，柳塘镇推进“亩均效益”改革，盘活闲置厂房12万平方米，新增市场主体320户。

我们新建高标准农田8000亩，推广玉米大豆带状复合种植，村集体经济收入平均增长18%。

聚焦项目招商 推动提质增效

江岸区桂山镇党委书记 何峰

上半年，桂山镇签约项目9个，协议引资26亿元，新增就业岗位1500个。

桂山镇完成老旧小区改造4个，惠及居民860户。
"""

FILE_B = """区县和部门负责同志2023年第一季度例会发言摘要

4月23日,重庆召开区县和部门负责同志2023年第一季度例会。

抓实营商环境 激发市场活力

云溪区委书记 陈国栋

一季度，云溪区规上工业增加值增长8.6%，新增市场主体5000户，营商环境持续优化。

云溪区推动数字化转型，新建5G基站600个，培育智能工厂3家。
"""


class HashEmbedder:
    """A deterministic stand-in for the e5-small slot (same name and dimension) for tests that judge
    storage, not model quality: each character and character pair of a text is hashed to one of `dim`
    buckets, and the counts are L2-normalised, so texts sharing characters have a positive cosine.
    Loads nothing and encodes thousands of texts a second.

    >>> m = HashEmbedder()
    >>> v = m.encode_passages(["营商环境持续优化", "营商环境"])
    >>> v.shape, bool(0 < float(v[0] @ v[1]) < 1), bool(abs(float(v[0] @ v[0]) - 1) < 1e-6)
    ((2, 384), True, True)
    """

    def __init__(self, name: str = "e5-small", dim: int = 384) -> None:
        self.name, self.dim = name, dim

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for gram in [*text, *(text[j:j + 2] for j in range(len(text) - 1))]:
                digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest()
                out[i, int.from_bytes(digest, "little") % self.dim] += 1.0
        return normalise(out)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


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


def speech(paragraphs: Sequence[str], speaker: str = "林晓", source: str = "s.txt", index: int = 0,
           unit: str | None = "江岸区柳塘镇", meeting: str = "江岸区2023年第二季度例会",
           date: str | None = "2023-07-28", gap: int = 2) -> tuple[Speech, str]:
    """A speech whose paragraphs are verbatim slices of the returned source text."""
    source_text, paras, pos = "", [], 0
    for text in paragraphs:
        paras.append(Paragraph(text, pos, pos + len(text)))
        source_text += text + "\n" * gap
        pos += len(text) + gap
    post = f"{unit}党委书记" if unit else None
    return Speech(Meeting(meeting, "区", date), speaker, post, unit, "标题", tuple(paras), source, index), source_text


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_rag(*args: str, stdin: str | None = None, index: Path | None = None, store: str | None = None,
            env: dict[str, str] | None = None) -> Run:
    """The `rag` command run in this process (Typer's CliRunner isolation: own stdin, stdout, stderr
    and environment), offline, with no LLM configured unless `env` sets one (`store`: the backend);
    exit code and output as a user sees them."""
    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("RAG_LLM")}
    environ.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "RAG_INDEX_DIR": str(index) if index else None})
    if store is not None:
        environ["RAG_VECTOR_STORE"] = store
    environ.update(env or {})
    with CliRunner().isolation(input=stdin, env=environ) as (out, err, _):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return Run(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))


def index_of(root: Path, files: dict[str, str], model) -> Settings:
    """A real index at root/index over `files` (name → text, written to root/corpus/) embedded with `model`."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=root / "index")
    ingest_paths([corpus], settings, embedders=[model])
    return settings
