"""The Milvus backend: milvus-lite file or a Milvus server (rag/store/milvus/store.py) and its
collection schema (rag/store/milvus/schema.py)."""
