"""Test doubles for the answer tests: inline chunks, a keyword retriever, an answerability model, and a
scripted OpenAI-compatible HTTP server (with SSE streaming) on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rag.answer.answerability import FEATURES, Model
from rag.answer.compose import AnswerConfig
from rag.ingest.chunk import header
from rag.records import Chunk, Filters, Hit, Meeting, Paragraph, Speech

CONFIG = AnswerConfig()


def _model(**coef: float) -> Model:
    n = len(FEATURES)
    return Model(FEATURES, (0.0,) * n, (1.0,) * n, tuple(coef.get(f, 0.0) for f in FEATURES), -3.0, 0.5,
                 {"written for the tests": True})


# An answerability model written for these fixtures (the shipped one is fitted on the evaluation sets
# with real retrieval scores, which the keyword retriever below does not give): answer when the best
# sentence covers the question's terms and no rare term of the question is missing.
TEST_MODEL = _model(sentence_coverage=8.0, missing_rarity=-6.0, figure_missing=-6.0, about_speaker=4.0)

MEETING_Q1 = Meeting("区县和部门负责同志2023年第一季度例会", "市", "2023-04-23")
MEETING_YC = Meeting("江岸区镇街和部门负责同志2023年第二季度例会", "区", "2023-07-28")

# (meeting, speaker, post, unit, text)
SPEECHES = [
    (MEETING_Q1, "周明远", "青石区委书记", "青石区委",
     "青石坚持改革求变，推出“职来帮”App，一季度新增城镇就业2.36万人。青石区优化营商环境，升级“一张网”，激发市场主体活力。"),
    (MEETING_Q1, "孙立", "白河区委书记", "白河区委",
     "一季度白河区村均集体经济收入增长17.5%。白河区优化营商环境，开展帮办代办服务，新增市场主体3000户。"),
    (MEETING_Q1, "陈国栋", "云溪区委书记", "云溪区委",
     "一季度云溪区规上工业增加值增长8.6%。云溪区持续优化营商环境，开展专项整治，市场主体满意度超过92%。"),
    (MEETING_YC, None, None, "石门镇",
     "石门镇重设职责岗位86个，推动镇街体制改革。"),
]


def make_chunks() -> list[Chunk]:
    chunks = []
    for i, (meeting, speaker, post, unit, text) in enumerate(SPEECHES):
        speech = Speech(meeting, speaker, post, unit, None, (Paragraph(text, 0, len(text)),), f"f{i}.txt", 0)
        chunks.append(Chunk(
            chunk_id=f"f{i}.txt:0:0:0", text=text, header=header(speech), speaker=speaker, speaker_title=post,
            unit=unit, meeting=meeting.name, meeting_date=meeting.date, source=f"f{i}.txt", speech_index=0,
            paragraph=0, part=0, start=0, end=len(text),
        ))
    return chunks


class KeywordRetriever:
    """Ranks chunks by shared character pairs with the query; honours the speaker filter; records calls."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        self.queries.append(query)
        pairs = {query[i:i + 2] for i in range(len(query) - 1)}
        scored = []
        for c in self.chunks:
            if filters and filters.speaker and c.speaker != filters.speaker:
                continue
            text = c.indexed_text
            scored.append((sum(p in text for p in pairs), c))
        scored.sort(key=lambda x: -x[0])
        return [Hit(c, float(s), dense_score=None, bm25_score=float(s)) for s, c in scored[:k]]


Reply = Callable[[dict], "str | tuple[str, str]"]  # text, or (text, finish_reason)


class ScriptedOpenAIServer:
    """A minimal OpenAI-compatible /v1/chat/completions on 127.0.0.1: answers from `reply(request)`,
    as SSE chunks when the request asks to stream. Records every request body."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                reply = server.reply(body)
                text, finish = reply if isinstance(reply, tuple) else (reply, "stop")
                if body.get("stream"):
                    self._stream(body, text, finish)
                else:
                    self._json(body, text)

            def _json(self, body: dict, text: str) -> None:
                payload = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "m"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict, text: str, finish: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                pieces = [text[i:i + 4] for i in range(0, len(text), 4)]
                for n, piece in enumerate(pieces):
                    delta = {"content": piece} if n else {"role": "assistant", "content": piece}
                    self._event({"id": "cmpl-1", "object": "chat.completion.chunk", "created": 0,
                                 "model": body.get("model", "m"),
                                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({"id": "cmpl-1", "object": "chat.completion.chunk", "created": 0,
                             "model": body.get("model", "m"),
                             "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, obj: dict) -> None:
                self.wfile.write(f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "ScriptedOpenAIServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
