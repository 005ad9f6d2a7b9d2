"""The index at scale, outside pytest: `python -m bench.scale --n 100000` → bench/results/scale-<n>.json.

Synthetic chunks of real length: texts are sentences recombined from the seeds and the CMRC 2018
paragraphs (../shared/eval/public), cut to lengths drawn from the seeds' own chunk lengths; metadata is
drawn from pools (3,000 speakers, 400 units, 2,000 meetings, dates 2015-2024, 50 chunks per source).
Vectors are clustered random unit vectors (4,096 topics): real embeddings of 1M texts would take days
here, and the ANN figures only need vectors with neighbourhoods. BM25 runs on the real text.

Phases (each in its own process, so each peak RSS is its own):
  build   FaissStore.create → add in batches of 10k → commit (tokenise, ANN, SQLite, fingerprint)
  add     open, add 1,000 chunks of a new source, commit: the incremental save (embedding excluded)
  search  open, then per query: dense and BM25 p50/p95 without a filter, with a narrow filter (one
          unit, ~0.25% of rows) and a broad one (a date range, ~30%); recall@10 of the dense search
          against exact search under the same filter
  ann     (--ann) flat / hnsw / ivfpq over the same vectors: build, p50/p95, recall@10, RSS (thresholds)
  fts5    (--fts5) SQLite FTS5 over the same jieba tokens, the alternative considered for BM25
  bm25    (--bm25-only [--against REV]) the keyword side alone, quicker to build than the full store: the
          same chunks tokenised into one segment's term counts (no vectors, no SQLite), then BM25 top-50
          p50/p95 without a filter and with the same two kinds of filter (masks from the chunks' own unit
          and date), optionally next to git revision REV's BM25, query by query
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from bench.run import dir_size, pct, peak_mb, rss_mb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DIM = 384
TOPICS = 4096
BATCH = 10_000
QUERIES = 200
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红梅兰凤云飞鹏宇浩凯佳志国建文斌"
DISTRICTS = ["永川区", "江北区", "渝中区", "九龙坡区", "涪陵区", "万州区", "南岸区", "北碚区", "綦江区", "大足区",
             "璧山区", "铜梁区", "潼南区", "荣昌区", "开州区", "梁平区", "武隆区", "合川区", "长寿区", "江津区"]
OFFICES = ["发展改革委", "经济信息委", "商务委", "教委", "科技局", "财政局", "农业农村委", "交通局", "住房城乡建设委",
           "生态环境局", "卫生健康委", "文化旅游委", "招商投资局", "市场监管局", "人力社保局", "民政局", "水利局",
           "规划自然资源局", "应急局", "大数据发展局"]


def shared_dir() -> Path:
    return Path(os.environ.get("RAG_SHARED", ROOT.parent / "shared"))


def real_text() -> tuple[list[str], list[int], list[str]]:
    """(sentences, real chunk lengths, real questions) from the seeds and the public CMRC set."""
    from rag.ingest.chunk import chunk_speeches, sentence_spans
    from rag.config import DEFAULT_SEEDS
    from rag.parse import load_corpus

    chunks = chunk_speeches(load_corpus([DEFAULT_SEEDS]).speeches)
    sentences = [c.text[a:b] for c in chunks for a, b in sentence_spans(c.text)]
    lengths = [len(c.text) for c in chunks]
    questions = [json.loads(x)["q"] for x in (ROOT / "eval" / "dev_qa.jsonl").read_text(encoding="utf-8").splitlines() if x]
    public = shared_dir() / "eval" / "public"
    if (public / "cmrc2018_corpus.jsonl").exists():
        for line in (public / "cmrc2018_corpus.jsonl").read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            sentences += [text[a:b] for a, b in sentence_spans(text)]
        questions += [json.loads(x)["q"] for x in
                      (public / "cmrc2018_questions.jsonl").read_text(encoding="utf-8").splitlines()[:QUERIES]]
    return [s for s in sentences if s.strip()], lengths, questions


def pools(seed: int = 0) -> dict[str, list]:
    rng = random.Random(seed)
    speakers = sorted({rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))) for _ in range(3500)})[:3000]
    units = [f"{d}{o}" for d in DISTRICTS for o in OFFICES]
    meetings = [f"{rng.choice(DISTRICTS)}{y}年第{q}季度{kind}" for y, q, kind in
                ((rng.randint(2015, 2024), rng.randint(1, 4), rng.choice(["例会", "工作会", "座谈会", "推进会"]))
                 for _ in range(2000))]
    return {"speakers": speakers, "units": units, "meetings": meetings}


def synthetic_chunks(start: int, n: int, text: tuple[list[str], list[int], list[str]], source_prefix: str = "src"):
    """Chunks start..start+n (deterministic), 50 per source, 10 per speech."""
    from rag.records import Chunk

    sentences, lengths, _ = text
    pool = pools()
    out = []
    for i in range(start, start + n):
        rng = random.Random(i)
        want, body = rng.choice(lengths), ""
        while len(body) < want:
            body += rng.choice(sentences)
        speech = i // 10
        srng = random.Random(speech)
        unit = srng.choice(pool["units"])
        speaker = srng.choice(pool["speakers"])
        post = f"{unit}主任"
        meeting = srng.choice(pool["meetings"])
        date = f"{srng.randint(2015, 2024)}-{srng.randint(1, 12):02d}-{srng.randint(1, 28):02d}"
        source = f"{source_prefix}{i // 50:06d}.txt"
        out.append(Chunk(chunk_id=f"{source}:{speech % 5}:{i % 10}:0", text=body[: max(want, 20)],
                         header=f"{post} {speaker}｜{meeting}", speaker=speaker, speaker_title=post, unit=unit,
                         meeting=meeting, meeting_date=date, source=source, speech_index=speech % 5,
                         paragraph=i % 10, part=0, start=0, end=len(body), title=None))
    return out


def centres() -> np.ndarray:
    c = np.random.default_rng(1).standard_normal((TOPICS, DIM)).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def synthetic_vectors(start: int, n: int, topics: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1_000_003 + start)
    noise = rng.standard_normal((n, DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    v = topics[rng.integers(0, TOPICS, n)] + 0.6 * noise
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def near(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Queries near stored rows (cosine ≈ 0.9 to them), as a question is near its passage."""
    noise = rng.standard_normal(rows.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    q = rows + 0.5 * noise
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def batches(n: int, text, topics) -> Iterator[tuple[list, np.ndarray]]:
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        yield synthetic_chunks(start, size, text), synthetic_vectors(start, size, topics)


# ---- phases --------------------------------------------------------------------------------------------
def phase_build(index_dir: Path, n: int) -> dict:
    from rag.store.faiss.index import FaissStore

    text, topics = real_text(), centres()
    shutil.rmtree(index_dir, ignore_errors=True)
    store = FaissStore.create(index_dir, "e5-small", [("e5-small", DIM)])
    t0 = time.perf_counter()
    for chunks, vectors in batches(n, text, topics):
        store.add(chunks, {"e5-small": vectors})
    t_add = time.perf_counter() - t0
    store.commit({"embedding_model": "e5-small", "dim": DIM, "sources": [], "inputs": {}, "source_files": {},
                  "models": [{"name": "e5-small", "loadable": "e5-small", "dim": DIM}]})
    seconds = time.perf_counter() - t0
    return {"n": n, "build_seconds": round(seconds, 1), "of_which_staging_seconds": round(t_add, 1),
            "chunks_per_s": round(n / seconds, 1), "ann": store.manifest["ann"],
            "index_bytes": dir_size(index_dir), "peak_rss_mb": peak_mb()}


def phase_add(index_dir: Path, n: int) -> dict:
    from rag.store.faiss.index import FaissStore

    text, topics = real_text(), centres()
    before = dir_size(index_dir)
    t0 = time.perf_counter()
    store = FaissStore.load(index_dir, verify=True)  # as `rag ingest` opens it: every row checked
    t_open = time.perf_counter() - t0
    chunks = synthetic_chunks(n, 1000, text, source_prefix="added")
    store.add(chunks, {"e5-small": synthetic_vectors(n, 1000, topics)})
    store.commit({})
    seconds = time.perf_counter() - t0
    return {"added": 1000, "seconds_total": round(seconds, 2), "of_which_open_seconds": round(t_open, 2),
            "bytes_added": dir_size(index_dir) - before, "segments": len(store.manifest["segments"]),
            "peak_rss_mb": peak_mb()}


class Rows:
    """Several segments' (memory-mapped) vector arrays read as one, without copying them into RAM."""

    def __init__(self, parts: list[np.ndarray]) -> None:
        self.parts, self.offsets = parts, np.cumsum([0] + [len(p) for p in parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, rows):
        if isinstance(rows, slice):
            return np.concatenate([p[max(rows.start - o, 0):max(rows.stop - o, 0)] for p, o in zip(self.parts, self.offsets)])
        rows = np.asarray(rows)
        seg = np.searchsorted(self.offsets, rows, side="right") - 1
        return np.stack([self.parts[s][r - self.offsets[s]] for s, r in zip(seg, rows)])


def _exact_top(vectors, queries: np.ndarray, masks: list[np.ndarray | None], k: int = 10) -> list[np.ndarray]:
    """Exact top-k rows per query (rows outside a query's mask excluded), scanning the rows in blocks."""
    best = [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in queries]
    for start in range(0, len(vectors), 100_000):
        block = np.asarray(vectors[start:start + 100_000])
        scores = block @ queries.T
        for j, mask in enumerate(masks):
            s = scores[:, j] if mask is None else np.where(mask[start:start + len(block)], scores[:, j], -np.inf)
            top = np.argpartition(-s, k)[:k]
            ids = np.concatenate([best[j][0], top + start])
            sc = np.concatenate([best[j][1], s[top]])
            keep = np.argsort(-sc)[:k]
            best[j] = (ids[keep], sc[keep])
    return [b[0][np.isfinite(b[1])] for b in best]


def phase_search(index_dir: Path) -> dict:
    from rag.store.faiss.index import FaissStore
    from rag.records import Filters

    _, _, questions = real_text()
    base = rss_mb()
    t0 = time.perf_counter()
    store = FaissStore.load(index_dir)
    open_s = time.perf_counter() - t0
    rows = store.live_rows
    all_vectors = Rows([s.dense["e5-small"].vectors for s in store.segments])  # mapped, not copied
    rng = np.random.default_rng(7)
    picks = rng.choice(rows, QUERIES, replace=False)
    queries = near(np.asarray(all_vectors[picks]), rng)
    unit = store.chunk(int(picks[0])).unit
    filters = {"none": None, "narrow_unit": Filters(unit=unit), "broad_dates": Filters(date_from="2022-01-01")}
    t0 = time.perf_counter()
    store.dense_search("e5-small", queries[0], 10)
    store.keyword_search(questions[0], 50)
    out: dict = {"open_seconds": round(open_s, 2), "first_query_ms": round((time.perf_counter() - t0) * 1000, 1)}
    for q in questions[-20:]:  # warm-up: the measured process is a running server, not a cold start
        store.keyword_search(q, 50)
    out["rss_after_open_mb"] = round(rss_mb() - base, 1)
    found: dict[str, list[np.ndarray]] = {}
    for name, f in filters.items():  # latency first: the exact reference below reads every row
        lat, found[name] = [], []
        for q in queries:
            t = time.perf_counter()
            found[name].append(store.dense_search("e5-small", q, 10, f)[0])
            lat.append(time.perf_counter() - t)
        bm = []
        for q in questions[:QUERIES]:
            t = time.perf_counter()
            store.keyword_search(q, 50, f)
            bm.append(time.perf_counter() - t)
        out[name] = {"dense_p50_ms": pct(lat, 50), "dense_p95_ms": pct(lat, 95),
                     "bm25_p50_ms": pct(bm, 50), "bm25_p95_ms": pct(bm, 95)}
    t = []
    for q in queries[:50]:
        s = time.perf_counter()
        for r in store.dense_search("e5-small", q, 5)[0]:
            store.chunk(int(r))
        t.append(time.perf_counter() - s)
    out["dense_plus_5_chunk_reads_p95_ms"] = pct(t, 95)
    out.update(answer_setup(store, questions))
    out["search_peak_rss_mb"] = peak_mb()  # before the exact scan below maps all vectors
    for name, f in filters.items():
        masks = store._masks(f)
        full = np.concatenate([m if m is not None else np.ones(s.rows, bool) for m, s in zip(masks, store.segments)])
        exact = _exact_top(all_vectors, queries, [full] * QUERIES)
        out[name]["rows_kept"] = int(full.sum())
        out[name]["recall@10"] = round(float(np.mean([len(set(a.tolist()) & set(b.tolist())) / max(min(10, len(b)), 1)
                                                      for a, b in zip(found[name], exact)])), 4)
    return out


def answer_setup(store, questions: list[str]) -> dict:
    """The time `rag.answer.answerer_for` takes at start (it reads the term statistics and each speech's
    first chunk, for places and names), and the term weights of 50 questions (IDF and `known`, per question)."""
    from rag.answer import answerer_for
    from rag.answer.evidence import TermWeights
    from rag.answer.question import analyse
    from rag.retrieve.fusion import BM25
    from rag.retrieve.retriever import Retriever

    t0 = time.perf_counter()
    answerer_for(Retriever(store, {}, components=[BM25]))
    setup = time.perf_counter() - t0
    weights = TermWeights(stats=store.term_stats())
    lat = []
    for q in questions[:50]:
        t = time.perf_counter()
        for term in analyse(q).terms:
            weights(term), weights.known(term)
        lat.append(time.perf_counter() - t)
    return {"answer_setup_seconds": round(setup, 2), "speeches": int(store.manifest["speeches"]),
            "term_weights_per_question_p95_ms": pct(lat, 95)}


def phase_ann(kind: str, n: int) -> dict:
    from rag.store.faiss.vectors import DenseIndex

    topics = centres()
    vectors = np.concatenate([synthetic_vectors(s, min(BATCH, n - s), topics) for s in range(0, n, BATCH)])
    rng = np.random.default_rng(7)
    queries = near(vectors[rng.choice(n, QUERIES, replace=False)], rng)
    base = rss_mb()
    t0 = time.perf_counter()
    index = DenseIndex(vectors, kind)
    build = time.perf_counter() - t0
    lat, found = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(index.search(q, 10)[0])
        lat.append(time.perf_counter() - t)
    exact = _exact_top(vectors, queries, [None] * QUERIES)
    recall = float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10 for a, b in zip(found, exact)]))
    return {"kind": kind, "n": n, "build_seconds": round(build, 1), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95),
            "recall@10": round(recall, 4), "index_rss_mb": round(rss_mb() - base, 1), "peak_rss_mb": peak_mb()}


def phase_fts5(index_dir: Path, n: int) -> dict:
    """SQLite FTS5 over the same jieba tokens, ranked by its bm25(): the alternative to segment term counts."""
    import sqlite3

    from rag.store.keyword import Tokenizer

    text = real_text()
    tokenizer = Tokenizer()
    path = index_dir / "fts5.sqlite"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(tokens, tokenize='unicode61 remove_diacritics 0')")
    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        chunks = synthetic_chunks(start, min(BATCH, n - start), text)
        db.executemany("INSERT INTO docs(tokens) VALUES (?)", [(" ".join(tokenizer(c.indexed_text)),) for c in chunks])
    db.commit()
    build = time.perf_counter() - t0
    lat = []
    for q in text[2][:QUERIES]:
        terms = " OR ".join('"' + t.replace('"', '""') + '"' for t in set(tokenizer(q)))
        t = time.perf_counter()
        if terms:
            db.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 50", (terms,)).fetchall()
        lat.append(time.perf_counter() - t)
    size = path.stat().st_size
    path.unlink()
    return {"n": n, "build_seconds_with_tokenising": round(build, 1), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95),
            "bytes": size, "peak_rss_mb": peak_mb()}


def build_bm25_side(index_dir: Path, n: int) -> dict:
    """One segment's term counts of the n synthetic chunks, the store's tokenizer with its corpus terms,
    and each row's unit and date (for the filter masks); kept in index_dir for the next search run."""
    from rag.store.keyword import TermCounts, tokenize_all, user_terms

    text = real_text()
    index_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    terms: set[str] = set()
    units, dates = [], []
    for start in range(0, n, BATCH):
        chunks = synthetic_chunks(start, min(BATCH, n - start), text)
        terms.update(user_terms(chunks))
        units += [c.unit for c in chunks]
        dates += [c.meeting_date for c in chunks]
    texts = (c.indexed_text for start in range(0, n, BATCH) for c in synthetic_chunks(start, min(BATCH, n - start), text))
    TermCounts.build(tokenize_all(sorted(terms), texts)).save(index_dir)
    (index_dir / "userdict.txt").write_text("\n".join(sorted(terms)), encoding="utf-8")
    np.save(index_dir / "rows-unit.npy", np.asarray(units))
    np.save(index_dir / "rows-date.npy", np.asarray(dates))
    return {"n": n, "build_seconds": round(time.perf_counter() - t0, 1), "bytes": dir_size(index_dir),
            "peak_rss_mb": peak_mb()}


def phase_bm25(index_dir: Path, n: int, against: str = "") -> dict:
    """BM25 alone: build its side once (`build_bm25_side`), then time top-50 keyword searches. With a git
    revision in `against`, that revision's rag/store/keyword.py searches the same term counts in turn, query by
    query (one machine state for both), and the share of queries with the same top-50 rows is kept."""
    from rag.store import keyword as bm25

    out: dict = {}
    if not (index_dir / "rows-date.npy").exists():
        out["build"] = build_bm25_side(index_dir, n)
    _, _, questions = real_text()
    terms = (index_dir / "userdict.txt").read_text(encoding="utf-8").split("\n")
    now = bm25.Bm25([bm25.TermCounts.load(index_dir)], bm25.Tokenizer(terms))
    search = {"now": lambda q, mask: now.top(q, 50, [mask])[0]}
    if against:
        old = _module_at(against, "rag/store/keyword.py")
        then = old.Bm25([old.TermCounts.load(index_dir)], old.Tokenizer(terms))
        search[against] = lambda q, mask: old.top_rows(then.scores(q)[0], 50, mask)
    units, dates = np.load(index_dir / "rows-unit.npy"), np.load(index_dir / "rows-date.npy")
    rng = np.random.default_rng(7)
    masks = {"none": None, "narrow_unit": units == units[rng.integers(len(units))], "broad_dates": dates >= "2022-01-01"}
    for q in questions[-20:]:  # warm-up, as in the search phase
        for fn in search.values():
            fn(q, None)
    for name, mask in masks.items():
        lat: dict[str, list[float]] = {k: [] for k in search}
        cpu = dict.fromkeys(search, 0.0)
        same = 0
        for q in questions[:QUERIES]:
            found = []
            for label, fn in search.items():
                t, c = time.perf_counter(), time.thread_time()
                found.append(fn(q, mask)[0])
                lat[label].append(time.perf_counter() - t)
                cpu[label] += time.thread_time() - c
            same += all(np.array_equal(found[0], f) for f in found)
        out[name] = {"rows_kept": len(units) if mask is None else int(mask.sum()),
                     **{f"{label}_p{q}_ms": pct(lat[label], q) for label in search for q in (50, 95)},
                     **{f"{label}_cpu_mean_ms": round(cpu[label] * 1000 / len(lat[label]), 2) for label in search}}
        if against:
            out[name]["same_top50_share"] = round(same / len(questions[:QUERIES]), 3)
    out["peak_rss_mb"] = peak_mb()
    return out


def _module_at(revision: str, path: str):
    """A module of this repository as it was at a git revision (the "before" of a comparison)."""
    import types

    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    module = types.ModuleType(f"{path}@{revision}")
    sys.modules[module.__name__] = module  # (dataclasses look their module up)
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)
    return module


def run_phase(*args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.scale", "--phase", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr[-3000:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = round(time.perf_counter() - t, 1)
    print(json.dumps({args[0]: result}, ensure_ascii=False), file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="index folder (default: a temporary one, removed)")
    parser.add_argument("--ann", default="", help="comma-separated kinds to compare on the same vectors")
    parser.add_argument("--fts5", action="store_true")
    parser.add_argument("--bm25-only", action="store_true",
                        help="only the keyword side (build its term counts, time BM25; keeps --dir for re-runs)")
    parser.add_argument("--against", default="", help="with --bm25-only: also time this git revision's BM25")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.phase:
        name, *rest = args.phase
        fn = {"build": lambda: phase_build(Path(rest[0]), int(rest[1])),
              "add": lambda: phase_add(Path(rest[0]), int(rest[1])),
              "search": lambda: phase_search(Path(rest[0])),
              "ann": lambda: phase_ann(rest[0], int(rest[1])),
              "fts5": lambda: phase_fts5(Path(rest[0]), int(rest[1])),
              "bm25": lambda: phase_bm25(Path(rest[0]), int(rest[1]), *rest[2:])}[name]
        print(json.dumps(fn(), ensure_ascii=False))
        return
    index_dir = args.dir or Path(os.environ.get("TMPDIR", "/tmp")) / f"rag-scale-{args.n}-{os.getpid()}"
    index_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"n": args.n, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "git_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                                 text=True).stdout.strip(),
                    "machine": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()}}
    if args.bm25_only:
        result["bm25"] = run_phase("bm25", str(index_dir), str(args.n), *filter(None, [args.against]))
    else:
        result.update(full_store_phases(index_dir, args))
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    if args.dir is None:
        shutil.rmtree(index_dir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    kind = "bm25" if args.bm25_only else "scale"
    out = args.out or RESULTS / f"{kind}-{args.n}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已保存: {out}")


def full_store_phases(index_dir: Path, args: argparse.Namespace) -> dict:
    result: dict = {}
    result["build"] = run_phase("build", str(index_dir), str(args.n))
    result["search"] = run_phase("search", str(index_dir))
    result["add_1000"] = run_phase("add", str(index_dir), str(args.n))
    result["search_after_add"] = run_phase("search", str(index_dir))
    for kind in filter(None, args.ann.split(",")):
        result.setdefault("ann", {})[kind] = run_phase("ann", kind, str(args.n))
    if args.fts5:
        result["fts5"] = run_phase("fts5", str(index_dir), str(args.n))
    return result


if __name__ == "__main__":
    main()
