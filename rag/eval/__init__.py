"""`rag eval`: evaluation sets and their tune/report split (rag/eval/sets.py), retrieval and answer
runs (rag/eval/run.py, rag/eval/answers.py) and the parser against gold (rag/eval/parse.py)."""
