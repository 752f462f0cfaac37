"""No server paths from clients (issue 13, part 2): editors take built-in names or arrays; files reach them only
through upload components, read into arrays by the app.

Through the running app (raw HTTP calls, so each payload reaches the server exactly as sent): every file
parameter of every endpoint (enumerated from the app's API info) and every image-naming parameter (the
texture and face dropdowns, the image parameters of every editor in /edit's JSON, enumerated from the
editors' schemas) gets absolute paths (/etc/passwd, an image file the server can read), traversal strings,
another session's upload path and URLs; each is refused with a clear message, no file content comes back,
and the server keeps serving. The CLI reads the user's own files named on its command line (into arrays).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from editors import EDITORS
from editors.assets import STYLES_DIR, manifest
from editors.base import ImageRef

ROOT = Path(__file__).resolve().parent.parent
SERVER_IMAGE = STYLES_DIR / manifest()["denim"]["file"]  # a real image the server can read
FILE_COMPONENTS = ("File", "Image", "UploadButton", "Gallery", "Video", "Audio", "Model3D")
REFUSED = (
    r"URLs are not fetched|not uploaded by a user|must be uploaded|uploaded in another session|paths on the server|not allowed"
    r"|must be one of|not in the list of choices|Value: .* is not in"
)


def _png(seed: int, size=(240, 320)) -> bytes:
    rng = np.random.default_rng(seed)
    img = np.zeros((*size, 3), np.uint8)
    img[:] = (200, 210, 230)
    img[60:200, 100:220] = rng.integers(0, 255, 3)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _raw_upload(url: str, name: str, data: bytes) -> str:
    r = httpx.post(url + "gradio_api/upload", files={"files": (name, data, "image/png")}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()[0]


def _call(url: str, api: str, data: list, session: str) -> str:
    body = json.dumps({"data": data, "session_hash": session})
    r = httpx.post(
        url + f"gradio_api/call/{api}", content=body, headers={"content-type": "application/json"}, timeout=60
    )
    if r.status_code != 200:
        return f"event: error\ndata: {r.text}"
    return httpx.get(url + f"gradio_api/call/{api}/{r.json()['event_id']}", timeout=180).text


def _file(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}


@pytest.fixture(scope="module")
def app():
    from tests.conftest import launch_app

    demo, url = launch_app(max_edits_per_minute=0, max_clicks_per_minute=0)
    client = Client(url, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    # the victim: a session that uploaded its photo; its server path must not serve anyone else
    victim_path = _raw_upload(url, "victim.png", _png(1))
    answer = _call(url, "upload", [_file(victim_path)], "victim-session")
    assert "event: complete" in answer and "Loaded victim.png" in answer, answer[:400]
    yield {"url": url, "info": info, "victim": victim_path}
    demo.close()


def _payloads(app) -> dict[str, str]:
    url = app["url"]
    return {
        "absolute /etc/passwd": "/etc/passwd",
        "an image file on the server": str(SERVER_IMAGE),
        "a photo elsewhere on the server": "/usr/share/doc/opencv-doc/examples/data/messi5.jpg",
        "traversal": "../../../../../../etc/passwd",
        "traversal to an image": f"../../../../../../..{SERVER_IMAGE}",
        "encoded traversal": "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "another session's upload": app["victim"],
        "a URL to another session's upload": f"{url}gradio_api/file={app['victim']}",
        "an outside URL": "https://example.com/face.png",
        "a file URL": "file:///etc/passwd",
    }


def _defaults(params: list[dict]) -> list:
    """A harmless value for every parameter (the one under test is replaced)."""
    out = []
    for p in params:
        if p.get("parameter_has_default"):
            out.append(p.get("parameter_default"))
        elif p["component"] in FILE_COMPONENTS:
            out.append(None)
        elif p["python_type"]["type"] in ("int", "float"):
            out.append(0)
        elif p["python_type"]["type"] == "bool":
            out.append(False)
        else:
            out.append("")
    return out


def _attacker(app, name: str) -> str:
    """A session with its own photo loaded and a part selected, so an edit would otherwise run."""
    url, session = app["url"], f"attacker-{name}"
    own = _raw_upload(url, f"{name}.png", _png(abs(hash(name)) % 1000))
    assert "event: complete" in _call(url, "upload", [_file(own)], session)
    _call(url, "click", [100, 60, "box"], session)
    assert "event: complete" in _call(url, "click", [220, 200, "box"], session)
    return session


def _assert_refused(answer: str, where: str) -> None:
    assert "event: error" in answer, (where, answer[:400])
    assert "root:x:0" not in answer and "Something went wrong" not in answer, (where, answer[:400])
    assert re.search(REFUSED, answer), (where, answer[:600])


def test_every_file_parameter_of_every_endpoint_refuses_server_paths_and_urls(app):
    file_params = [
        (api, i)
        for api, ep in app["info"].items()
        for i, p in enumerate(ep["parameters"])
        if p["component"] in FILE_COMPONENTS
    ]
    apis = {api for api, _ in file_params}
    assert {"/upload", "/apply_edit", "/swap_faces", "/parse", "/segment"} <= apis, apis  # the API has them
    session = _attacker(app, "files")
    for api, index in file_params:
        params = app["info"][api]["parameters"]
        for what, payload in _payloads(app).items():
            data = _defaults(params)
            data[index] = _file(payload)
            if api == "/apply_edit":  # choose the look that reads this file
                data[0], data[1] = ("Texture", "your own image…") if index == 2 else ("Neural style", "denim")
            if api == "/segment":
                data[1] = "[[10, 10]]"
            answer = _call(app["url"], api.strip("/"), data, session)
            _assert_refused(answer, f"{api}[{index}] {what}")
            expected = {
                "another session's upload": "uploaded in another session",
                "a URL to another session's upload": "URLs are not fetched",
                "an outside URL": "URLs are not fetched",
            }.get(what, "not uploaded by a user|not read")
            assert re.search(expected, answer), (api, index, what, answer[:400])
    # the server kept serving, and the victim's session still has its photo
    assert "Applied" in _call(app["url"], "edit", ["recolour", '{"target": "#2050d0"}', 0], session)
    assert "event: complete" in _call(app["url"], "click", [150, 120, "include"], "victim-session")


def test_every_image_parameter_of_every_editor_refuses_paths_through_edit(app):
    session = _attacker(app, "params")
    checked = 0
    for name in EDITORS.names():
        schema = EDITORS.build(name).params_schema
        keys = [k for k, spec in schema.items() if spec.type is ImageRef or k == "mapping"]
        for key in keys:
            for what, payload in _payloads(app).items():
                value = f"1={payload}" if key == "mapping" else payload  # faces from 1 (round 20)
                answer = _call(app["url"], "edit", [name, json.dumps({key: value}), 0], session)
                assert "event: error" in answer, (name, key, what, answer[:300])
                assert "root:x:0" not in answer and "Something went wrong" not in answer, (name, key, answer[:300])
                assert "not read" in answer, (name, key, what, answer[:400])
                checked += 1
    assert checked >= 4 * len(_payloads(app))  # texture, style_image, target, mapping
    # (anonymize's identity is a synthetic gallery name compared with the gallery's names; never opened)


def test_image_naming_dropdowns_refuse_paths(app):
    """The texture and face-gallery dropdowns take their listed names only (Gradio and the handler check)."""
    session = _attacker(app, "dropdowns")
    info = app["info"]
    for api, index in (("/apply_edit", 1), ("/swap_faces", 1)):
        params = info[api]["parameters"]
        for what, payload in _payloads(app).items():
            data = _defaults(params)
            data[index] = payload
            if api == "/apply_edit":
                data[0] = "Texture"
            answer = _call(app["url"], api.strip("/"), data, session)
            assert "root:x:0" not in answer, (api, what)
            # Gradio refuses a value outside the choices; if one got through, the handler refuses it
            assert "event: error" in answer or "⚠" in answer, (api, what, answer[:300])


def test_own_uploads_still_work_and_are_arrays_in_the_layer(app):
    """The legitimate path: an uploaded texture and an uploaded face reach the editors (as arrays)."""
    url = app["url"]
    session = _attacker(app, "legit")
    texture = _raw_upload(url, "my-texture.png", _png(7, (64, 64)))
    data = _defaults(app["info"]["/apply_edit"]["parameters"])
    data[0], data[1], data[2] = "Texture", "your own image…", _file(texture)
    answer = _call(url, "apply_edit", data, session)
    assert "event: complete" in answer and "Applied" in answer, answer[:400]
    # the layer records the image, not a path (the CLI test below reads its 'uploaded image 64x64 sha256:...' label);
    # the edits list calls it the user's texture
    assert '"#1 your texture on segment 1"' in answer, answer[-1200:]
    assert "my-texture" not in answer and "sha256" not in answer


def test_cli_reads_the_users_own_files_into_arrays(tmp_path, capsys):
    """The CLI may read local files the user names (their own machine), converting them before the editor."""
    from app.cli import _local_images, main

    schema = EDITORS.build("texture").params_schema
    tex = tmp_path / "t.png"
    tex.write_bytes(_png(3, (64, 64)))
    out = _local_images({"texture": str(tex)}, schema)
    assert isinstance(out["texture"], np.ndarray) and out["texture"].shape == (64, 64, 3)
    assert _local_images({"texture": "denim"}, schema) == {"texture": "denim"}
    fs = EDITORS.build("faceswap").params_schema
    mapped = _local_images({"mapping": f"0=grace_hopper; 1={tex}"}, fs)["mapping"]
    assert mapped["0"] == "grace_hopper" and isinstance(mapped["1"], np.ndarray)
    photo = tmp_path / "p.png"
    photo.write_bytes(_png(4))
    mask = tmp_path / "m.png"
    m = np.zeros((240, 320), np.uint8)
    m[60:200, 100:220] = 255
    Image.fromarray(m).save(mask)
    rc = main(
        [
            "edit",
            str(photo),
            "--mask",
            str(mask),
            "--editor",
            "texture",
            "--param",
            f"texture={tex}",
            "--out",
            str(tmp_path / "o.png"),
        ]
    )
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    summary = json.loads(printed.out)
    assert summary["params"]["texture"].startswith("uploaded image 64x64 sha256:")
    rc = main(
        [
            "edit",
            str(photo),
            "--mask",
            str(mask),
            "--editor",
            "texture",
            "--param",
            "texture=/no/such/file.png",
            "--out",
            str(tmp_path / "o.png"),
        ]
    )
    assert rc == 3 and "neither a built-in name" in capsys.readouterr().err
