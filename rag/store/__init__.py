"""The storage stage: the `Store` contract (rag/store/base.py), its FAISS (rag/store/faiss/) and Milvus
(rag/store/milvus/) backends, the embedders (rag/store/embed.py) and the BM25 keyword index
(rag/store/keyword.py)."""

from rag.store.base import BACKENDS, Ranking, Store, create_store, open_store

__all__ = ["BACKENDS", "Ranking", "Store", "create_store", "open_store"]
