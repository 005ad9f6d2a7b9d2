"""`kill -9` during ingest, at every moment that matters (outside pytest): `python -m bench.kill_matrix`.

Set-up: an index of the seeds (built once, copied per case), then an ingest of one new file whose
chunks all need embedding, in batches of 8 (BATCH) so that it spans several batches. For each moment below, the ingest runs in a child process that SIGKILLs
itself at that moment (the child wraps the named function; the library has no kill hooks). Then:
  answers   a fresh reader opens the index and gets BM25 and dense hits;
  state     "before" (the old fingerprint and count) or "after" (those of a clean ingest);
  cached    texts in the embedding cache at the kill: a re-run embeds only the rest ("resumed"),
            so a kill loses at most the batch being encoded;
  rerun     a normal ingest afterwards succeeds, ends in the "after" state, and leaves no `*.tmp`.
One more case kills a real ingest from outside (`kill -9` by pid) in the middle of embedding while a
reader keeps opening and searching the index every 0.2 s: the reader must never fail.
Results: bench/results/kill-matrix-<time>.json and a table on stdout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# moment → (module, attribute to wrap, call number at which to die, die "before" or "after" the real call)
MOMENTS = {
    "early (parsing)": ("rag.ingest.pipeline", "load_corpus", 1, "before"),
    "during embedding (torn cache append)": ("rag.ingest.vector_cache", "VectorCache.append", 2, "torn"),
    "writing meta.sqlite": ("rag.store.faiss.index", "_Staging.add", 1, "after"),
    "writing term counts (bm25-*.npy)": ("rag.store.keyword", "TermCounts.save", 1, "after"),
    "writing the vector index (after groups.npy)": ("rag.store.faiss.index", "DenseIndex.save_index", 1, "before"),
    "segment renamed, manifest not written": ("rag.store.faiss.index", "_write_json_atomic", 1, "before"),
    "manifest written, before clean-up": ("rag.store.faiss.index", "remove_stale", 2, "before"),
}

BATCH = 8  # embedding batch of the killed ingests: small, so that a short file spans several batches

CHILD = r"""
import os, signal, sys, importlib
import numpy as np
from pathlib import Path
import rag.ingest.pipeline
rag.ingest.pipeline.EMBED_BATCH = int(os.environ["KILL_BATCH"])
module, attr, when, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if attr == "-":
    from rag.config import Settings
    rag.ingest.pipeline.ingest_paths([Path(p) for p in sys.argv[6:]], Settings(index_dir=Path(sys.argv[5])))
    sys.exit(0)
mod = importlib.import_module(module)
owner_name, _, name = attr.rpartition(".")
owner = getattr(mod, owner_name) if owner_name else mod
real = getattr(owner, name)
calls = {"n": 0}
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def wrapped(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == when and how == "before":
        die()
    if calls["n"] == when and how == "torn":  # half of the vectors reach the file, then the kill
        self, keys, vectors = args
        with open(self._vectors_path, "ab") as f:
            f.write(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()[: vectors.nbytes // 2])
        die()
    out = real(*args, **kwargs)
    if calls["n"] == when and how == "after":
        die()
    return out
setattr(owner, name, staticmethod(wrapped) if isinstance(owner.__dict__.get(name), staticmethod) else wrapped)
if module != "rag.ingest.pipeline":  # names imported into rag.store.faiss.index / rag.ingest.pipeline must see the wrapper too
    for other in ("rag.store.faiss.index", "rag.ingest.pipeline"):
        m = importlib.import_module(other)
        if getattr(m, name, None) is real:
            setattr(m, name, wrapped)
from rag.config import Settings
from rag.ingest.pipeline import ingest_paths
ingest_paths([Path(p) for p in sys.argv[6:]], Settings(index_dir=Path(sys.argv[5])))
"""


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(ROOT),
            "KILL_BATCH": str(BATCH)}


def new_files(folder: Path) -> list[Path]:
    """A file of the seeds' kind whose every paragraph differs from the seeds' (every sentence changed)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted((ROOT / "seeds").glob("*.txt"), key=lambda p: p.stat().st_size)[:1]
    out = []
    for i, seed in enumerate(seeds):
        text = seed.read_text(encoding="utf-8")
        text = re.sub(r"[。]", f"，第{i + 1}批。", text)  # every sentence changes, so every chunk is new
        path = folder / f"new_{i}.txt"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def state(index_dir: Path) -> dict:
    """Open the index as a reader would and search it: counts, fingerprint, and whether it answered."""
    code = (
        "import json, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from rag.store.faiss.index import FaissStore\n"
        "s = FaissStore.load(Path(sys.argv[1]))\n"
        "ids, _ = s.keyword_search('企业开办时间', 5)\n"
        "dense, _ = s.dense_search('e5-small', np.ones(384, np.float32) / 384 ** 0.5, 5)\n"
        "texts = [s.chunk(int(r)).text for r in list(ids) + list(dense)]\n"
        "print(json.dumps({'chunks': s.manifest['chunks'], 'fingerprint': s.manifest['corpus_fingerprint'],"
        " 'answered': bool(len(ids) and len(dense) and all(texts))}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(index_dir)], capture_output=True, text=True, env=env())
    if proc.returncode != 0:
        return {"answered": False, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ingest(index_dir: Path, files: list[Path]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "rag", "ingest", *map(str, files), "--index", str(index_dir), "--json"],
                          capture_output=True, text=True, env=env(), cwd=ROOT)
    if proc.returncode != 0:
        return {"error": proc.stderr[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cached(index_dir: Path) -> int:
    keys = index_dir / "cache" / "e5-small" / "keys.bin"
    return keys.stat().st_size // 20 if keys.exists() else 0


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.endswith(".tmp"))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rag-kill-"))
    base, files = work / "base", new_files(work / "new")
    t0 = time.time()
    assert "error" not in ingest(base, [ROOT / "seeds"]), "could not build the seed index"
    before = state(base)
    clean = work / "clean"
    shutil.copytree(base, clean)
    report = ingest(clean, files)
    after = state(clean)
    new_texts = report["embedded"]
    rows = []
    for moment, (module, attr, when, how) in MOMENTS.items():
        case = work / re.sub(r"\W+", "_", moment)
        shutil.copytree(base, case)
        cache_before = cached(case)
        proc = subprocess.run([sys.executable, "-c", CHILD, module, attr, str(when), how, str(case), *map(str, files)],
                              capture_output=True, text=True, env=env(), cwd=ROOT)
        killed = proc.returncode == -signal.SIGKILL
        mid = state(case)
        tmp_after_kill = leftovers(case)
        saved = cached(case) - cache_before
        rerun = ingest(case, files)
        final = state(case)
        rows.append({
            "moment": moment, "killed": killed, "answers": mid.get("answered", False),
            "state": "before" if mid.get("fingerprint") == before["fingerprint"] else
                     "after" if mid.get("fingerprint") == after["fingerprint"] else f"OTHER {mid}",
            "texts_cached_at_kill": saved, "tmp_after_kill": tmp_after_kill,
            "rerun_embedded": rerun.get("embedded"), "rerun_ok": "error" not in rerun,
            "rerun_state_after": final.get("fingerprint") == after["fingerprint"],
            "tmp_after_rerun": leftovers(case),
            "resumed_from_cache": rerun.get("embedded") == new_texts - saved,
        })
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    rows.append(external_kill(work, base, files, before, after, new_texts, BATCH))
    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    result = {"created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "embed_batch": BATCH,
              "new_texts": new_texts, "before": before, "after": after, "cases": rows,
              "seconds": round(time.time() - t0, 1), "loadavg": os.getloadavg()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"kill-matrix-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\n| moment | killed | answers after kill | state | .tmp after re-run | re-run ends in 'after' | "
          "cached at kill | re-embedded (of new) | resumed from cache |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['moment']} | {r['killed']} | {r['answers']} | {r['state']} | {r['tmp_after_rerun'] or 'none'} | "
              f"{r['rerun_state_after']} | {r['texts_cached_at_kill']} | {r['rerun_embedded']} of {new_texts} | "
              f"{r['resumed_from_cache']} |")
    print(f"结果已保存: {out}")
    shutil.rmtree(work, ignore_errors=True)


def external_kill(work: Path, base: Path, files: list[Path], before: dict, after: dict, new_texts: int,
                  batch: int) -> dict:
    """A real `kill -9` by pid once two cache batches are on disk, with a reader searching throughout."""
    case = work / "external"
    shutil.copytree(base, case)
    start_cache = cached(case)
    child = subprocess.Popen([sys.executable, "-c", CHILD, "-", "-", "0", "-", str(case), *map(str, files)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(), cwd=ROOT)
    reads, failures, states = 0, [], set()
    killed = False
    deadline = time.time() + 1800
    while time.time() < deadline and child.poll() is None:
        s = state(case)
        reads += 1
        if not s.get("answered"):
            failures.append(s)
        states.add("before" if s.get("fingerprint") == before["fingerprint"] else "after"
                   if s.get("fingerprint") == after["fingerprint"] else "other")
        if cached(case) - start_cache >= 2 * batch:
            os.kill(child.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    child.wait()
    saved = cached(case) - start_cache
    s = state(case)
    rerun = ingest(case, files)
    return {"moment": "external kill -9 by pid during embedding (reader searching throughout)", "killed": killed,
            "answers": s.get("answered", False) and not failures, "reader_opens": reads,
            "reader_failures": failures, "reader_states": sorted(states),
            "state": "before" if s.get("fingerprint") == before["fingerprint"] else "other",
            "texts_cached_at_kill": saved, "rerun_embedded": rerun.get("embedded"), "rerun_ok": "error" not in rerun,
            "rerun_state_after": state(case).get("fingerprint") == after["fingerprint"],
            "tmp_after_rerun": leftovers(case),
            "resumed_from_cache": rerun.get("embedded") == new_texts - saved}


if __name__ == "__main__":
    main()
