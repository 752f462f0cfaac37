"""A tiny local stand-in for the Hugging Face hub, serving the endpoints huggingface_hub 2.4 calls.

Point ``HF_ENDPOINT`` at ``hub.url`` and huggingface_hub talks to it like to huggingface.co:

- ``GET  /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}``  (``HfApi.model_info``)
- ``GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive=...``         (``HfApi.list_repo_tree``)
- ``POST /api/models/{repo}/paths-info/{rev}``                           (``HfApi.get_paths_info``)
- ``HEAD|GET /{repo}/resolve/{rev}/{path}``                               (``hf_hub_download``: ETag,
  X-Repo-Commit, Content-Length headers; LFS-like files get their sha256 as ETag, small ones their git
  blob id, as on the hub)

Repos are folders: ``add(repo, revision, {path: bytes})``. ``corrupt(repo, path, times)`` serves wrong
bytes (same length, same ETag) the next ``times`` downloads. Every request is recorded in ``requests``.
Also ``ForwardProxy``: a minimal HTTP forward proxy that records what goes through it.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socketserver
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

LFS_MIN = 1024  # files at least this big, or weights, are "LFS" (sha256 ETag + lfs info in the tree)


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_lfs(path: str, data: bytes) -> bool:
    return len(data) >= LFS_MIN or path.endswith((".safetensors", ".onnx", ".bin", ".pt"))


@dataclass
class Repo:
    revisions: dict[str, dict[str, bytes]] = field(default_factory=dict)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self._corrupt: dict[tuple[str, str], int] = {}
        self.lfs_sha: dict[tuple[str, str], str] = {}  # (repo, path) -> the LFS sha256 to publish
        self.delay = 0.0  # seconds to wait before sending each file's contents (a slow network)
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                hub._handle(self, "HEAD")

            def do_GET(self):
                hub._handle(self, "GET")

            def do_POST(self):
                hub._handle(self, "POST")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # -- content ------------------------------------------------------------------------------------
    def add(self, repo: str, revision: str, files: dict[str, bytes]) -> None:
        self.repos.setdefault(repo, Repo()).revisions[revision] = dict(files)

    def corrupt(self, repo: str, path: str, times: int = 1) -> None:
        self._corrupt[(repo, path)] = times

    def downloads(self, suffix: str = "") -> list[str]:
        """Paths of the GET requests for file contents (resolve), optionally ending in ``suffix``."""
        return [p for m, p in self.requests if m == "GET" and "/resolve/" in p and p.endswith(suffix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- serving ------------------------------------------------------------------------------------
    def _entry(self, path: str, data: bytes, repo: str = "") -> dict:
        e = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": path}
        if is_lfs(path, data):
            oid = self.lfs_sha.get((repo, path)) or hashlib.sha256(data).hexdigest()
            e["lfs"] = {"oid": oid, "size": len(data), "pointerSize": 134}
        return e

    def _find(self, parts: list[str]) -> tuple[str, Repo] | None:
        repo = "/".join(parts[:2])
        return (repo, self.repos[repo]) if repo in self.repos else None

    def _send(self, h, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head and body:
            h.wfile.write(body)

    def _json(self, h, obj, status: int = 200, headers: dict | None = None) -> None:
        self._send(h, status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, h, status: int, code: str, head: bool = False) -> None:
        self._send(
            h,
            status,
            json.dumps({"error": code}).encode() if not head else b"",
            {"X-Error-Code": code, "X-Error-Message": code, "Content-Type": "application/json"},
            head,
        )

    def _handle(self, h, method: str) -> None:
        url = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(url.path)
        self.requests.append((method, path))
        if method == "POST":
            length = int(h.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(h.rfile.read(length).decode())
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"]:
            found = self._find(parts[2:])
            if found is None:
                return self._error(h, 404, "RepoNotFound")
            repo, r = found
            rest = parts[4:]
            rev = rest[1] if len(rest) > 1 else next(iter(r.revisions))
            if rev not in r.revisions:
                return self._error(h, 404, "RevisionNotFound")
            files = r.revisions[rev]
            if not rest or rest[0] == "revision":
                return self._json(
                    h,
                    {
                        "id": repo,
                        "modelId": repo,
                        "sha": rev,
                        "private": False,
                        "siblings": [{"rfilename": p} for p in sorted(files)],
                    },
                )
            if rest[0] == "tree":
                prefix = "/".join(rest[2:])
                recursive = "recursive=true" in url.query.lower() or "recursive=1" in url.query
                out = []
                for p in sorted(files):
                    if prefix and not p.startswith(prefix + "/"):
                        continue
                    sub = p[len(prefix) + 1 :] if prefix else p
                    if "/" in sub and not recursive:
                        continue
                    out.append(self._entry(p, files[p], repo))
                return self._json(h, out)
            if rest[0] == "paths-info":
                wanted = form.get("paths", [])
                return self._json(h, [self._entry(p, files[p], repo) for p in wanted if p in files])
            return self._error(h, 404, "NotFound")
        if "resolve" in parts:
            i = parts.index("resolve")
            found = self._find(parts[:i])
            if found is None:
                return self._error(h, 404, "RepoNotFound", head=method == "HEAD")
            repo, r = found
            rev, fpath = parts[i + 1], "/".join(parts[i + 2 :])
            if rev not in r.revisions:
                return self._error(h, 404, "RevisionNotFound", head=method == "HEAD")
            files = r.revisions[rev]
            if fpath not in files:
                return self._error(h, 404, "EntryNotFound", head=method == "HEAD")
            data = files[fpath]
            e = self._entry(fpath, data)
            etag = e["lfs"]["oid"] if "lfs" in e else e["oid"]
            if method == "GET" and self._corrupt.get((repo, fpath), 0) > 0:
                self._corrupt[(repo, fpath)] -= 1
                data = bytes((b + 1) % 256 for b in data)  # same size, wrong content
            if method == "GET" and self.delay:
                time.sleep(self.delay)
            headers = {
                "ETag": f'"{etag}"',
                "X-Repo-Commit": rev,
                "Accept-Ranges": "bytes",
                "Content-Type": "application/octet-stream",
            }
            return self._send(h, 200, data, headers, head=method == "HEAD")
        self._error(h, 404, "NotFound", head=method == "HEAD")


class ForwardProxy:
    """A minimal HTTP forward proxy (absolute-URI requests), recording every URL it forwards."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self, method: str):
                proxy.seen.append(f"{method} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")
                }
                req = urllib.request.Request(self.path, data=body, headers=headers, method=method)
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    resp = opener.open(req, timeout=10)
                    status, rheaders, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as exc:
                    status, rheaders, data = exc.code, exc.headers, exc.read()
                self.send_response(status)
                for k, v in rheaders.items():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                length = rheaders.get("Content-Length") if method == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))  # HEAD: the upstream length
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(data)

            def do_GET(self):
                self._forward("GET")

            def do_HEAD(self):
                self._forward("HEAD")

            def do_POST(self):
                self._forward("POST")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
