"""HTML for the app: answer and passage cards (cards.py), library, speech and similar views (browse.py).
Every document text is escaped here before it is rendered."""
