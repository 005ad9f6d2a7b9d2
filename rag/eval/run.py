"""`rag eval`: retrieval and answer evaluation per domain (seeds, CMRC 2018), tune and report parts apart.

For each domain (rag/eval/sets.py): build or refresh its evaluation index (every dense model, in the
gitignored eval/.cache/), rank every question once per component, then
- retrieval: hit@1, hit@5, MRR@5 of BM25, each dense model and every fusion in `candidate_fusions`,
  per part; the fusion to ship is chosen on the tune parts only (`choose_fusion`);
- answers (rag/eval/answers.py): accuracy, refusal precision/recall, the seeds' dev checks; a domain
  scored by kind (the real-genre set) through rag/eval/kinds.py instead.
Results go to eval/results/ as JSON with the commit, the settings and the split.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from rag.store.keyword import Bm25, TermCounts, Tokenizer, user_terms
from rag.config import PROJECT_ROOT, Settings
from rag.store.embed import E5_SMALL, M3E_SMALL, Embedder, load_embedder
from rag.errors import UsageError
from rag.eval.kinds import kind_markdown, kind_report
from rag.eval.sets import FUSION_DOMAINS, PARTS, REPORT_SHARE, SPLIT_SEED, TUNE, Domain, EvalQuestion, git_commit
from rag.answer import answerability
from rag.eval.answers import answer_report, answerer_for_run, assess_all, fit_answerability
from rag.retrieve.fusion import BM25, Fusion, Ranking
from rag.store.faiss.index import FaissStore, text_hash
from rag.ingest.pipeline import ingest_paths
from rag.records import Chunk, Filters
from rag.retrieve.retriever import DEFAULT_FUSION, Retriever

K = 5
FETCH = 50  # per component, as Retriever.search fetches for k=5
PRODUCTION = (BM25, E5_SMALL)  # the default index's components (Settings.embed_model = e5-small)


def candidate_fusions(components: Sequence[str]) -> list[Fusion]:
    """Single retrievers, then every fusion tried (a component with weight 0 is left out)."""
    every = list(components)

    def only(*names: str, **w: float) -> dict[str, float]:
        return {c: (w.get(c.replace("-", "_"), 1.0) if c in names else 0.0) for c in every}

    out = [Fusion("rrf", only(c)) for c in every]
    dense = [c for c in every if c != BM25]
    if BM25 not in every or E5_SMALL not in dense:
        return out
    for k in (10, 30, 60, 120):
        for w in (0.25, 0.5, 1.0):
            for boost in (0.0, 1.0):
                out.append(Fusion("rrf", only(BM25, E5_SMALL, bm25=w), k=k, cue_boost=boost))
    for method in ("minmax", "zscore"):
        for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):  # BM25's share, the whole range
            for boost in (0.0, 1.0):
                out.append(Fusion(method, only(BM25, E5_SMALL, bm25=w, e5_small=1 - w), cue_boost=boost))
    if M3E_SMALL in dense:
        out.append(Fusion("rrf", only(BM25, E5_SMALL, M3E_SMALL, m3e_small=0.5), k=60))
        out.append(Fusion("rrf", only(E5_SMALL, M3E_SMALL), k=60))
        out.append(Fusion("minmax", only(BM25, E5_SMALL, M3E_SMALL, bm25=0.3, e5_small=0.5, m3e_small=0.2)))
    return out


def rank_metrics(gold_ranks: Sequence[int | None], k: int = K) -> dict[str, float]:
    """hit@1, hit@k and MRR@k from each question's first gold rank (None: not in the top k).

    >>> rank_metrics([1, 3, None])
    {'n': 3, 'hit@1': 0.333, 'hit@5': 0.667, 'mrr@5': 0.444}
    """
    n = max(len(gold_ranks), 1)
    return {"n": len(gold_ranks), "hit@1": round(sum(r == 1 for r in gold_ranks) / n, 3),
            f"hit@{k}": round(sum(r is not None and r <= k for r in gold_ranks) / n, 3),
            f"mrr@{k}": round(sum(1 / r for r in gold_ranks if r and r <= k) / n, 3)}


def first_gold(chunks: Sequence[Chunk], q: EvalQuestion, is_gold: Callable[[Chunk, EvalQuestion], bool],
               k: int = K) -> int | None:
    return next((i for i, c in enumerate(chunks[:k], 1) if is_gold(c, q)), None)


class CachedQueries:
    """An Embedder whose query vectors persist in an .npz beside the evaluation index, so a re-run of
    `rag eval` encodes only new questions. Evaluation only: latency is measured by bench/ask_latency.py
    in a fresh process without it."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner, self._path = inner, path
        self.name, self.dim = inner.name, inner.dim
        self._store: dict[str, np.ndarray] = dict(np.load(path)) if path.exists() else {}
        self._dirty = False

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [(k, t) for k, t in zip(keys, texts) if k not in self._store]
        if missing:
            for (k, _), v in zip(missing, self._inner.encode_queries([t for _, t in missing])):
                self._store[k] = v
            self._dirty = True
        return np.stack([self._store[k] for k in keys])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.encode_passages(texts)

    def save(self) -> None:
        if self._dirty:
            tmp = self._path.with_suffix(".tmp.npz")
            np.savez(tmp, **self._store)
            tmp.replace(self._path)
            self._dirty = False


@dataclass
class DomainRun:
    """One domain's loaded evaluation index and every question's component rankings."""

    domain: Domain
    retriever: Retriever  # all components of the evaluation index
    rankings: dict[str, dict[str, Ranking]]  # question id → component → (ids, scores)
    fusion: Fusion = DEFAULT_FUSION  # what answers are evaluated with: the shipped one, or the one just chosen

    def production(self, fusion: Fusion | None = None) -> Retriever:
        """The shipped components (BM25 + e5-small) over this index, fused by `fusion` (default: self.fusion)."""
        r = self.retriever
        return Retriever(r.index, r.embedders, components=[c for c in PRODUCTION if c in r.components],
                         fusion=fusion or self.fusion)


def open_domain(domain: Domain, progress=None, limit: int | None = None, tune_limit: int | None = None) -> DomainRun:
    """Build (first time) or refresh the domain's index, load it with query caches, rank every question."""
    settings = Settings.from_env(index_dir=domain.index_dir, embed_model=domain.embed_model)
    ingest_paths(list(domain.corpus), settings, progress=progress)
    index = FaissStore.load(domain.index_dir)
    embedders = {name: CachedQueries(load_embedder(name), domain.index_dir.parent / f"{domain.name}-queries-{name}.npz")
                 for name in index.models}
    retriever = Retriever(index, embedders)
    questions = limited(domain, limit, tune_limit)
    texts = list(dict.fromkeys(q.q for q in questions))
    for e in embedders.values():  # in batches: one call per question costs several times more
        for start in range(0, len(texts), 256):
            e.encode_queries(texts[start:start + 256])
    rankings = {q.id: retriever.rankings(q.q, FETCH) for q in questions}
    for e in embedders.values():
        e.save()
    return DomainRun(replace(domain, questions=tuple(questions)), retriever, rankings)


def limited(domain: Domain, limit: int | None, tune_limit: int | None = None) -> list[EvalQuestion]:
    """All questions, or the first `limit` of each part and kind in id-hash order (a sample fixed in
    advance, for quick runs only: its figures are not the report figures); `tune_limit` caps only the
    tune part that way (choices made on a fixed sample of tune; the report part stays whole)."""
    if not limit and not tune_limit:
        return list(domain.questions)
    out: list[EvalQuestion] = []
    for p in PARTS:
        cap = limit or (tune_limit if p == TUNE else None)
        for kind in domain.kinds:
            chosen = [q for q in domain.questions if q.part == p and q.kind == kind]
            chosen.sort(key=lambda q: hashlib.sha256(f"{SPLIT_SEED}:sample:{q.id}".encode()).hexdigest())
            out += chosen[:cap] if cap else chosen
    return out


def retrieval_table(run: DomainRun, fusions: Sequence[Fusion]) -> dict[str, dict[str, dict[str, float]]]:
    """fusion name → part → metrics, over the domain's retrieval questions (the answerable one-fact ones)."""
    r = run.retriever
    table: dict[str, dict[str, dict[str, float]]] = {}
    for fusion in fusions:
        row = {}
        for p in PARTS:
            ranks = []
            for q in run.domain.select(p, run.domain.retrieval_kinds):
                ranked = run.rankings[q.id]
                hits = r.hits(q.q, {c: ranked[c] for c in ranked}, K, fusion)
                ranks.append(first_gold([h.chunk for h in hits], q, run.domain.is_gold))
            row[p] = rank_metrics(ranks)
        table[fusion.name()] = row
    return table


def choose_fusion(tables: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float]]]],
                  fusions: Sequence[Fusion], components: Sequence[str] = PRODUCTION) -> tuple[Fusion, dict[str, Any]]:
    """On the tune parts only: among fusions of `components`, those at least as good as the best single
    component on hit@5 and MRR@5 in every domain; of these (or of all, if none), the best mean over
    domains of (hit@5 + MRR@5) / 2."""
    singles = [f for f in fusions if sum(w > 0 for w in f.weights.values()) == 1
               and next(c for c, w in f.weights.items() if w > 0) in components]
    mixed = [f for f in fusions if f not in singles
             and {c for c, w in f.weights.items() if w > 0} == set(components)]

    def tune(f: Fusion, domain: str, metric: str) -> float:
        return tables[domain][f.name()]["tune"][metric]

    best_single = {d: {m: max(tune(f, d, m) for f in singles) for m in ("hit@5", "mrr@5")} for d in tables}
    never_worse = [f for f in mixed if all(tune(f, d, m) >= best_single[d][m] for d in tables for m in ("hit@5", "mrr@5"))]

    def merit(f: Fusion) -> float:
        return sum((tune(f, d, "hit@5") + tune(f, d, "mrr@5")) / 2 for d in tables) / len(tables)

    pool = never_worse or mixed or singles
    chosen = max(pool, key=lambda f: (merit(f), -fusions.index(f)))
    return chosen, {"rule": choose_fusion.__doc__.split("\n")[0].strip() + " …", "best_single_tune": best_single,
                    "never_worse_on_tune": [f.name() for f in never_worse], "chosen": chosen.name(),
                    "chosen_merit_tune": round(merit(chosen), 4), "shipped": DEFAULT_FUSION.name()}


class _BareStore:
    """In memory, for the header ablation only: the same chunks without their header, searched
    exactly (dense) and with the same BM25 tokenizer; no filters (the evaluation uses none)."""

    def __init__(self, chunks: list[Chunk], model: str, vectors: np.ndarray) -> None:
        self.chunks, self.models, self.manifest = chunks, [model], {}
        self._vectors = vectors
        tokenizer = Tokenizer(user_terms(chunks))
        self._bm25 = Bm25([TermCounts.build(tokenizer(c.indexed_text) for c in chunks)], tokenizer)

    def dense_search(self, model: str, query: np.ndarray, n: int, filters: Filters | None = None) -> Ranking:
        scores = self._vectors @ np.asarray(query, np.float32)
        top = np.argsort(-scores, kind="stable")[:n]
        return top.astype(np.int64), scores[top].astype(np.float32)

    def keyword_search(self, query: str, n: int, filters: Filters | None = None) -> Ranking:
        return self._bm25.top(query, n)[0]  # one segment

    def chunk(self, row: int) -> Chunk:
        return self.chunks[row]


def header_ablation(run: DomainRun, fusion: Fusion) -> dict[str, Any] | None:
    """Retrieval with and without the header (unit · post · speaker | meeting) prepended to each chunk
    for embedding and BM25 (Chunk.indexed_text), for BM25, e5-small and `fusion`; None when no chunk
    has a header (.jsonl records). The header-less e5 vectors are cached in eval/.cache/."""
    chunks = list(run.retriever.index.chunks)
    if not any(c.header for c in chunks) or E5_SMALL not in run.retriever.index.models:
        return None
    bare = [replace(c, header="") for c in chunks]
    cache_file = run.domain.index_dir.parent / f"{run.domain.name}-noheader-{E5_SMALL}.npz"
    cache = dict(np.load(cache_file)) if cache_file.exists() else {}
    keys = [text_hash(c.indexed_text) for c in bare]
    missing = [i for i, k in enumerate(keys) if k not in cache]
    e5 = run.retriever.embedders[E5_SMALL]
    if missing:
        for i, v in zip(missing, e5.encode_passages([bare[i].indexed_text for i in missing])):
            cache[keys[i]] = v
        np.savez(cache_file, **{k: cache[k] for k in keys})
    vectors = np.stack([cache[k] for k in keys]).astype(np.float32)
    no_header = Retriever(_BareStore(bare, E5_SMALL, vectors), {E5_SMALL: e5}, components=[BM25, E5_SMALL])
    with_header = run.production()
    out: dict[str, Any] = {}
    for label, retriever in (("with header", with_header), ("text only", no_header)):
        for f in (Fusion("rrf", {BM25: 1, E5_SMALL: 0}), Fusion("rrf", {BM25: 0, E5_SMALL: 1}), fusion):
            row = {}
            for p in PARTS:
                ranks = []
                for q in run.domain.select(p, run.domain.retrieval_kinds):
                    hits = retriever.hits(q.q, retriever.rankings(q.q, FETCH), K, f)
                    ranks.append(first_gold([h.chunk for h in hits], q, run.domain.is_gold))
                row[p] = rank_metrics(ranks)
            out.setdefault(f.name(), {})[label] = row
    return out


def run_eval(domains: Sequence[Domain], out: Path | None = None, limit: int | None = None,
             fit: bool = False, answers: bool = True, progress=None, log=print,
             tune_limit: int | None = None) -> tuple[dict[str, Any], Path]:
    """Evaluate the domains, optionally refit the answerability model on their tune parts, save JSON."""
    result: dict[str, Any] = {
        "git_commit": git_commit(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "split": {"seed": SPLIT_SEED, "report_share": REPORT_SHARE,
                  "rule": "report if sha256(seed:id)[:8]/2^64 < report_share, else tune",
                  "choose_on": "tune", "quote": "report"},
        "limited_sample": limit,  # not None: a fixed sample for quick runs, not the report figures
        "tune_sample": tune_limit,  # not None: the tune part capped to this many per kind (report part whole)
        "settings": {"fetch": FETCH, "k": K, "production_components": list(PRODUCTION),
                     "shipped_fusion": DEFAULT_FUSION.to_json()},
        "domains": {},
    }
    runs = []
    for domain in domains:
        log(f"[{domain.name}] index and rankings …")
        run = open_domain(domain, progress, limit, tune_limit)
        runs.append(run)
        fusions = candidate_fusions(run.retriever.components)
        result.setdefault("fusions", {}).update({f.name(): f.to_json() for f in fusions})
        log(f"[{domain.name}] retrieval: {len(fusions)} configurations × {len(run.rankings)} questions")
        result["domains"][domain.name] = {
            "index": {k: run.retriever.index.manifest[k] for k in ("chunks", "speeches", "corpus_fingerprint")},
            "questions": {p: {kind: len(run.domain.select(p, (kind,))) for kind in run.domain.kinds}
                          for p in PARTS},
            "retrieval": retrieval_table(run, fusions),
        }
    tables = {name: d["retrieval"] for name, d in result["domains"].items() if name in FUSION_DOMAINS} or \
        {name: d["retrieval"] for name, d in result["domains"].items()}
    if runs:
        chosen, why = choose_fusion(tables, candidate_fusions(runs[0].retriever.components))
        result["fusion_choice"] = why
        if set(FUSION_DOMAINS) <= set(tables) and not limit:  # chosen on every fusion domain's tune part: answers use it
            for run in runs:
                run.fusion = chosen
        result["answers_fusion"] = runs[0].fusion.name()
        result["header_ablation"] = {run.domain.name: header_ablation(run, chosen) for run in runs}
    if answers or fit:
        scored = [run for run in runs if not run.domain.by_kind]
        if fit and not scored:
            raise UsageError("--fit 需要 seeds 或 cmrc 领域 (the answerability model is fitted on seeds and cmrc)")
        assessed = {}
        for run in scored:
            log(f"[{run.domain.name}] answers …")
            assessed[run.domain.name] = assess_all(run)
        if fit:
            log("fitting answerability on the tune parts …")
            model = fit_answerability(scored, assessed)
        else:
            model = answerability.load()
        result["answerability"] = {"threshold": model.threshold, "intercept": model.intercept,
                                   "weights": dict(zip(model.features, model.coef)), "fitted_on": model.fitted_on,
                                   "refit_now": fit}
        for run in scored:
            result["domains"][run.domain.name]["answers"] = answer_report(run, assessed[run.domain.name], model)
        for run in runs:
            if run.domain.by_kind:
                log(f"[{run.domain.name}] answers by kind …")
                result["domains"][run.domain.name]["answers"] = kind_report(
                    run.domain.questions, answerer_for_run(run, model), log)
    path = out or PROJECT_ROOT / "eval" / "results" / f"eval-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if "fusions" in result:
        path.with_suffix(".fusion.md").write_text(fusion_markdown(result) + "\n", encoding="utf-8")
    return result, path


def fusion_markdown(result: dict[str, Any]) -> str:
    """The table that decides the fusion (docs/FUSION.md): every configuration's hit@5 / MRR@5 on
    each domain's tune part, then the same on the report part, the chosen one marked."""
    domains = list(result["domains"])
    chosen = result.get("fusion_choice", {}).get("chosen")
    head = "| retriever / fusion | " + " | ".join(f"{d} {p} hit@1 · hit@5 · MRR@5" for p in PARTS for d in domains) + " |"
    lines = [head, "|---" * (1 + len(domains) * len(PARTS)) + "|"]
    for name in result["fusions"]:
        cells = []
        for p in PARTS:
            for d in domains:
                m = result["domains"][d]["retrieval"].get(name, {}).get(p)
                cells.append(f"{m['hit@1']:.3f} · {m['hit@5']:.3f} · {m['mrr@5']:.3f}" if m else "—")
        label = f"**{name}** (chosen)" if name == chosen else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(result: dict[str, Any], names: Sequence[str] | None = None) -> str:
    """A plain-text table per domain: the single retrievers, the shipped and chosen fusion, answers."""
    lines = []
    shipped = result["settings"]["shipped_fusion"]
    chosen = result.get("fusion_choice", {}).get("chosen")
    for dname, d in result["domains"].items():
        lines.append(f"== {dname}  (questions per part: {d['questions']})")
        lines.append(f"{'retriever':58} {'part':7} {'hit@1':>6} {'hit@5':>6} {'mrr@5':>6}")
        for name, row in d["retrieval"].items():
            single = sum(w > 0 for w in result["fusions"][name]["weights"].values()) == 1
            if names is None and not (single or name == chosen or name == Fusion(**shipped).name()):
                continue
            for p in PARTS:
                m = row[p]
                lines.append(f"{name[:58]:58} {p:7} {m['hit@1']:6.3f} {m['hit@5']:6.3f} {m['mrr@5']:6.3f}")
        if d.get("answers", {}).get("scored_by") == "kind":
            lines.append(kind_markdown(d["answers"]["parts"]))
        else:
            for p, a in d.get("answers", {}).get("parts", {}).items():
                lines.append(f"answers {p}: " + " · ".join(f"{k} {v}" for k, v in a.items() if not isinstance(v, (list, dict))))
        if "dev_checks" in d.get("answers", {}):
            lines.append(d["answers"]["dev_checks"]["summary"])
    if chosen:
        lines.append(f"fusion chosen on tune: {chosen}   shipped: {Fusion(**shipped).name()}")
    return "\n".join(lines)
