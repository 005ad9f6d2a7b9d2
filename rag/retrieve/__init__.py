"""The retrieval stage: hybrid search with filters (rag/retrieve/retriever.py), fusion
(rag/retrieve/fusion.py), similar initiatives (rag/retrieve/similar.py) and the llama-index
adapter (rag/retrieve/llamaindex.py)."""

from rag.retrieve.retriever import Retriever

__all__ = ["Retriever"]
