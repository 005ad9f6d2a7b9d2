"""`rag speeches --review`: each non-blank line with the role the parser gives it."""

import json
import subprocess
import sys
from pathlib import Path

from rag.parse.review import ROLES, line_roles

ROOT = Path(__file__).resolve().parent.parent

# A small digest written for this test: headline, subtitle, two titled speeches, a run-in head, a credit.
DIGEST = """绿色发展座谈会发言摘编

坚持绿色发展道路
某市生态环境局局长 周明远
我们把治水放在突出位置，全年整治河道十二条。

一、建立河长制度
河长制实现全覆盖，巡河次数比上年增加三成。

擦亮乡村生态底色
某县林业局局长：罗 佳
全县新增造林面积两万亩，森林覆盖率继续提高。

某镇党委书记 黄子轩：镇里建起了污水处理站，生活污水集中处理。
（本报记者 孙一 整理）
"""


def test_every_non_blank_line_once_in_order():
    rows = line_roles(DIGEST)
    lines = [line.strip() for line in DIGEST.split("\n") if line.strip()]
    assert [r.text for r in rows] == lines
    assert [r.i for r in rows] == list(range(len(lines)))
    assert all(r.role in ROLES for r in rows)


def test_roles_are_the_parsers():
    roles = {r.text: r for r in line_roles(DIGEST)}
    assert roles["某市生态环境局局长 周明远"].role == "speaker"
    assert (roles["某市生态环境局局长 周明远"].name, roles["某市生态环境局局长 周明远"].post) == ("周明远", "某市生态环境局局长")
    assert roles["某县林业局局长：罗 佳"].name == "罗佳"
    assert roles["坚持绿色发展道路"].role == "heading"  # the title above a speaker line
    assert roles["我们把治水放在突出位置，全年整治河道十二条。"].role == "body"
    assert roles["（本报记者 孙一 整理）"].role == "noise"
    run_in = roles["某镇党委书记 黄子轩：镇里建起了污水处理站，生活污水集中处理。"]
    assert (run_in.role, run_in.name) == ("speaker", "黄子轩")  # a run-in head makes its line a speaker line


def test_windows_line_ends_number_like_unix():
    unix = [(r.i, r.role, r.text) for r in line_roles(DIGEST)]
    assert [(r.i, r.role, r.text) for r in line_roles(DIGEST.replace("\n", "\r\n"))] == unix


def test_cli_review_jsonl_prefills_gold_records(tmp_path):
    path = tmp_path / "t01_digest.txt"
    path.write_text(DIGEST, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "rag", "speeches", "--review", str(path), "--jsonl"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["doc"] for r in records} == {"t01"} and records[0]["file"] == "t01_digest.txt"
    speaker = next(r for r in records if r["label"] == "speaker")
    assert speaker["name"] == "周明远" and speaker["post"] == "某市生态环境局局长"


def test_cli_review_of_missing_file_is_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rag", "speeches", "--review", str(tmp_path / "none.txt")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--review" in result.stderr
