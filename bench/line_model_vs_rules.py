"""How often the line model labels a line otherwise than the rules before it, and who was right.

`python -m bench.line_model_vs_rules --rules /tmp/rules [--part report]`, where /tmp/rules holds the
rule-based parser's `rag` package (`git archive 97f636c rag | tar -x -C /tmp/rules`: the rules of
commit 435153a with the review tool that names each line's role). The rules' role of every
non-blank line of the eval/real_parse documents of the part comes from that package's
`rag.parse.review.line_roles` (run in a subprocess on its own path); the model's from
rag/parse/line_model.py; the gold from eval/real_parse/gold_lines.jsonl. Writes
bench/results/line_model_vs_rules-<time>.json with the share of lines decided differently and
every such line with both labels and the gold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_RULE_ROLES = """
import json, sys
from pathlib import Path
from rag.parse.review import line_roles
out = {}
for name in sys.argv[1:]:
    out[Path(name).name] = [r.role for r in line_roles(Path(name).read_text(encoding="utf-8"))]
print(json.dumps(out))
"""


def rule_roles(rules: Path, files: list[Path]) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", _RULE_ROLES, *map(str, files)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(rules), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(done.stdout)


def main() -> None:
    from rag.eval.parse_fit import load_folder
    from rag.parse import line_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, required=True)
    parser.add_argument("--part", default="report")
    args = parser.parse_args()
    folder = ROOT / "eval" / "real_parse"
    docs = [d for d in load_folder(folder) if d.part == args.part]
    files = {d.doc: next((folder / "docs").glob(f"{d.doc}_*.txt")) for d in docs}
    rules = rule_roles(args.rules, list(files.values()))
    model = line_model.load()
    rows, total = [], 0
    for doc in docs:
        labels = model.labels(doc.x)
        old = rules[files[doc.doc].name]
        for k, (line, new, gold) in enumerate(zip(doc.lines, labels, doc.gold)):
            total += 1
            if new != old[k]:
                rows.append({"doc": doc.doc, "i": k, "text": line.text, "model": new, "rules": old[k], "gold": gold})
    summary = {
        "part": args.part, "documents": len(docs), "lines": total, "decided_otherwise": len(rows),
        "share": round(len(rows) / total, 4) if total else None,
        "model_right": sum(r["model"] == r["gold"] for r in rows),
        "rules_right": sum(r["rules"] == r["gold"] for r in rows),
        "neither": sum(r["gold"] not in (r["model"], r["rules"]) for r in rows),
    }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"line_model_vs_rules-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"commit": commit, **summary, "lines_decided_otherwise": rows}, ensure_ascii=False, indent=1),
                    encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False))
    for side in ("model", "rules"):
        print(f"{side} right:")
        for r in [r for r in rows if r[side] == r["gold"]][:5]:
            print(f"  {r['doc']}:{r['i']} 「{r['text'][:50]}」 model {r['model']}, rules {r['rules']}, gold {r['gold']}")
    print(path)


if __name__ == "__main__":
    main()
