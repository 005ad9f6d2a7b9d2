"""What the answerer reads at start, and a question's term weights: the former way (every chunk's text:
substring document frequencies, places and names from every chunk) against the index's statistics
(`Store.term_stats`, `Store.speech_heads`), on one FAISS index, in one process:
`python -m bench.answer_setup INDEX_DIR` (e.g. the folder `python -m bench.scale --dir` keeps)."""
import json, math, sys, time
from rag.store.faiss.index import FaissStore
from rag.answer.evidence import TermWeights
from rag.answer.question import analyse
from rag.places import corpus_places
from rag.answer.rewrite import Lexicon
from bench.scale import real_text
store = FaissStore.load(sys.argv[1])
questions = real_text()[2][:50]
out = {}
t = time.perf_counter()
texts = [c.indexed_text for c in store.chunks]
corpus_places(store.chunks); Lexicon.from_chunks(store.chunks)
out["before_setup_s"] = round(time.perf_counter() - t, 2)
def old_weight(term):  # the former TermWeights: substring document frequency over every text
    df = sum(term in x for x in texts)
    return math.log((len(texts) + 1) / (df + 1)) + 1.0, any(term in x for x in texts)
lat = []
for q in questions:
    t = time.perf_counter()
    for term in analyse(q).terms:
        old_weight(term)
    lat.append(time.perf_counter() - t)
lat.sort(); out["before_per_question_p50_ms"] = round(1000 * lat[len(lat) // 2], 1)
del texts
store = FaissStore.load(sys.argv[1])
t = time.perf_counter()
heads = store.speech_heads(); w = TermWeights(stats=store.term_stats()); corpus_places(heads); Lexicon.from_chunks(heads)
out["now_setup_s"] = round(time.perf_counter() - t, 2)
lat = []
for q in questions:
    t = time.perf_counter()
    for term in analyse(q).terms:
        w(term), w.known(term)
    lat.append(time.perf_counter() - t)
lat.sort(); out["now_per_question_p50_ms"] = round(1000 * lat[len(lat) // 2], 1)
print(json.dumps(out))
