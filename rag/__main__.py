"""`python -m rag` is the `rag` console script."""

from rag.cli import main

main()
