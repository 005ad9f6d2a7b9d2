"""The ingest stage: speeches → chunks (rag/ingest/chunk.py) → embeddings cached on disk
(rag/ingest/vector_cache.py) → one atomic commit to the store (rag/ingest/pipeline.py, `ingest_paths`).

Nothing is imported here: the store reads the chunker's version from rag/ingest/chunk.py, and an
eager import of the pipeline would make that a cycle."""
