"""The ingest stage: speeches → chunks (rag/ingest/chunk.py) → embeddings cached on disk
(rag/ingest/vector_cache.py) → one atomic commit to the store (rag/ingest/pipeline.py, `ingest_paths`).

Nothing is imported here, so that importing the chunker does not load the pipeline (stores, embedders).
The chunker's `index_versions()` is what ingest records at commit and readers require of an index:
the store receives it from its caller and never imports this stage."""
