"""The FAISS backend: one index folder on local disk (rag/store/faiss/index.py) with its vectors
(rag/store/faiss/vectors.py)."""
