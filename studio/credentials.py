"""C2PA Content Credentials: a signed, standard record of what Facet did, that cameras, Photoshop, platforms
and https://contentcredentials.org/verify read (c2pa-python, the C2PA project's own library).

Every export with an edit gets a manifest (``sign``): a ``c2pa.opened`` action on the uploaded photo (the
ingredient, with the SHA-256 of the uploaded file), then one action per edit: ``c2pa.color_adjustments``
for a recolour, ``c2pa.edited`` for the others; an edit made by a trained generative model (the editor
says so: ``Editor.generative``) carries the IPTC digital source type ``compositeWithTrainedAlgorithmicMedia``
(``trainedAlgorithmicMedia`` when it replaced nearly the whole frame), with the editor's name and model ids.
Facet's own manifest (studio/provenance.py) rides along as the assertion ``org.facet.provenance``.

The signer: ``FACET_C2PA_CERT`` + ``FACET_C2PA_KEY`` (PEM chain, signer first, and its private key), or a
locally generated ES256 pair (a small CA and a signing certificate under it, made with ``cryptography`` on
first use and kept in the user's data folder, ``FACET_DATA_DIR`` or ``$XDG_DATA_HOME/facet``; never in the
repository). C2PA needs a chain: a self-signed leaf is refused. Such a local signer validates ("Valid")
but is on no trust list, so public verifiers show it as untrusted until a real certificate is configured.
"""

from __future__ import annotations

import datetime
import functools
import io
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import FacetError

log = logging.getLogger(__name__)

ASSERTION = "org.facet.provenance"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC + "trainedAlgorithmicMedia"
COMPOSITE = IPTC + "compositeWithTrainedAlgorithmicMedia"
WHOLE_FRAME = 0.9  # a generative edit that changed more than this share of the pixels counts as "created"
MIME = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "JPG": "image/jpeg",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "BMP": "image/bmp",
}
_lock = threading.Lock()


def data_dir(settings: Any) -> Path:
    """Facet's per-user data folder: FACET_DATA_DIR, else $XDG_DATA_HOME/facet, else ~/.local/share/facet."""
    if getattr(settings, "data_dir", ""):
        return Path(settings.data_dir).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "facet"


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` atomically (temp file + rename) with permissions ``mode``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_local_signer(folder: Path) -> tuple[bytes, bytes]:
    """A new ES256 (P-256) CA and a signing certificate under it, written to ``folder`` (chain.pem: signer
    then CA; key.pem: the signer's key, mode 600). Returns (chain PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Facet (local, untrusted)"),
            ]
        )

    def usage(sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Facet local CA"))
        .issuer_name(name("Facet local CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(False, True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("Facet local signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(True, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(folder / "key.pem", key_pem, 0o600)
    _write_private(folder / "chain.pem", chain, 0o644)
    log.info("generated a local Content Credentials signer in %s (untrusted until a real certificate is set)", folder)
    return chain, key_pem


@functools.lru_cache(maxsize=4)
def _material(cert: str, key: str, folder: str) -> tuple[bytes, bytes, str]:
    if cert:
        try:
            return Path(cert).read_bytes(), Path(key).read_bytes(), "configured"
        except OSError as exc:
            raise FacetError(
                f"Content Credentials: cannot read FACET_C2PA_CERT / FACET_C2PA_KEY ({exc.strerror})"
            ) from None
    where = Path(folder) / "c2pa"
    if (where / "chain.pem").is_file() and (where / "key.pem").is_file():
        return (where / "chain.pem").read_bytes(), (where / "key.pem").read_bytes(), "local"
    chain, key_pem = generate_local_signer(where)
    return chain, key_pem, "local"


def signer_material(settings: Any) -> tuple[bytes, bytes, str]:
    """(PEM chain, PEM key, 'configured' | 'local'): the configured signer, or the local one (made once)."""
    with _lock:
        return _material(settings.c2pa_cert, settings.c2pa_key, str(data_dir(settings)))


def ensure_signer(settings: Any) -> str:
    """Make sure a signer exists (called at start, so the first export does not wait for it); its source."""
    return signer_material(settings)[2]


def _action(record: dict[str, Any], generative: bool, coverage: float) -> dict[str, Any]:
    editor = str(record.get("editor", ""))
    params: dict[str, Any] = {
        "description": f"{editor} on {record.get('segment') or 'the photo'}".strip(),
        "org.facet.editor": editor,
    }
    if record.get("models"):
        params["org.facet.models"] = [str(m) for m in record["models"]]
    if record.get("merged"):
        params["org.facet.merged"] = True
    from editors.base import declared_provenance  # the editor's own declaration (c2pa.edited unless it says)

    action: dict[str, Any] = {
        "action": declared_provenance(editor).c2pa_action,
        "softwareAgent": {"name": f"Facet {editor}"},
        "parameters": params,
    }
    if generative:
        action["digitalSourceType"] = TRAINED if coverage > WHOLE_FRAME else COMPOSITE
    return action


BOX_KEYS = ("x0", "y0", "x1", "y1")


def _map_boxes(facet: dict[str, Any], change: Any) -> dict[str, Any]:
    """``facet`` with each face record's "box" passed through ``change`` (the box in, the new box or None to keep it)."""
    boxes = facet.get("face_boxes")
    if not isinstance(boxes, list):
        return facet
    out = []
    for fb in boxes:
        new = change(fb.get("box")) if isinstance(fb, dict) else None
        out.append(fb if new is None else {**fb, "box": new})
    return {**facet, "face_boxes": out}


def _boxes_as_objects(facet: dict[str, Any]) -> dict[str, Any]:
    """Facet's manifest with each face box as {"x0", "y0", "x1", "y1"}: c2pa stores a JSON array of integers as a
    byte string (each value mod 256: [53, 266, 179, 403] read back as base64 of 53, 10, 179, 147) and one of floats
    as nothing, so "Check a photo" lost the boxes and outlined every face (round 20's drive: 6 faces outlined on t1
    where 2 were anonymized). `read` turns them back into lists."""
    return _map_boxes(facet, lambda b: dict(zip(BOX_KEYS, b)) if isinstance(b, (list, tuple)) and len(b) == 4 else None)


def _boxes_as_lists(facet: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `_boxes_as_objects` (what studio.provenance reads); anything else left for it to refuse."""
    return _map_boxes(
        facet, lambda b: [b[k] for k in BOX_KEYS] if isinstance(b, dict) and all(k in b for k in BOX_KEYS) else None
    )


def manifest_definition(facet: dict[str, Any], layers: Sequence[Any], photo: Any, fmt: str) -> dict[str, Any]:
    """The C2PA manifest definition (JSON) for an export of ``photo`` with ``layers`` (the visible ones, in
    order; ``facet``: studio.provenance.build_manifest's record of them)."""
    area = max(1, int(photo.width) * int(photo.height))
    records = [r for r in facet.get("edits", []) if isinstance(r, dict)]
    merged = [r for r in records if r.get("merged") or r.get("editor") == "merged"]  # the base layer's, first
    owners = [layers[0]] * len(merged) + [layer for layer in layers if layer.editor != "merged"]
    actions: list[dict[str, Any]] = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["photo"]}}]
    for rec, layer in zip(records, owners):
        generative = bool(rec.get("generative", getattr(layer, "generative", False)))
        actions.append(_action(rec, generative, float(layer.changed.sum()) / area))
    source = str(getattr(photo, "source_format", "") or "").upper()
    ingredient: dict[str, Any] = {
        "title": str(getattr(photo, "name", "photo")),
        "relationship": "parentOf",
        "label": "photo",
    }
    if source in MIME:
        ingredient["format"] = MIME[source]
    ext = "png" if fmt.upper() == "PNG" else "jpg"
    return {
        "claim_generator_info": [{"name": "Facet", "version": str(facet.get("version", ""))}],
        "title": f"{Path(str(getattr(photo, 'name', 'photo'))).stem}-facet.{ext}",
        "format": MIME[fmt.upper()],
        "ingredients": [ingredient],
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {
                "label": ASSERTION,
                "data": {
                    "ingredient": {
                        "title": ingredient["title"],
                        "sha256": str(getattr(photo, "source_sha256", "") or ""),
                    },
                    "manifest": _boxes_as_objects(facet),
                },
            },
        ],
    }


def sign(data: bytes, fmt: str, facet: dict[str, Any], layers: Sequence[Any], photo: Any, settings: Any) -> bytes:
    """``data`` (PNG or JPEG bytes) with signed Content Credentials embedded (pixels are not re-encoded)."""
    import c2pa

    chain, key, _ = signer_material(settings)
    definition = manifest_definition(facet, layers, photo, fmt)
    try:
        context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key, None))
        with c2pa.Builder(definition, context=context) as builder:
            out = io.BytesIO()
            builder.sign(signer, MIME[fmt.upper()], io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        log.error("Content Credentials signing failed: %s", exc)
        raise FacetError(
            f"the Content Credentials could not be signed ({exc}); check FACET_C2PA_CERT / "
            "FACET_C2PA_KEY (an ES256 certificate chain and its key)"
        ) from None
    return out.getvalue()


def _mime_of(data: bytes) -> str | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[4:8] == b"ftyp":
        return "image/heif" if data[8:12] != b"avif" else "image/avif"
    return None


def read(data: bytes) -> dict[str, Any] | None:
    """The Content Credentials in an image file, or None when it has none (or they cannot be parsed):
    ``{"state": "Valid" | "Trusted" | "Invalid", "trusted": bool, "signer": {...}, "claim_generator": str,
    "actions": [{"action", "agent", "digitalSourceType"}], "generated_by_ai": bool, "ingredients": [...],
    "facet": Facet's manifest or None, "ingredient_sha256": str | None, "failures": [codes]}``."""
    import c2pa

    mime = _mime_of(data)
    if mime is None:
        return None
    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            state = reader.get_validation_state() or ""
            active = reader.get_active_manifest() or {}
            results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        if "ManifestNotFound" not in type(exc).__name__ and "not found" not in str(exc).lower():
            log.info("Content Credentials unreadable: %s", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - a hostile file must not break "Check a photo"
        log.info("Content Credentials unreadable: %s", exc)
        return None
    actions: list[dict[str, Any]] = []
    facet: dict[str, Any] | None = None
    sha: str | None = None
    for a in active.get("assertions", []) if isinstance(active.get("assertions"), list) else []:
        if not isinstance(a, dict):
            continue
        label, body = str(a.get("label", "")), a.get("data")
        if label.startswith("c2pa.actions") and isinstance(body, dict):
            for act in body.get("actions", []) if isinstance(body.get("actions"), list) else []:
                if isinstance(act, dict):
                    agent = act.get("softwareAgent")
                    actions.append(
                        {
                            "action": str(act.get("action", "")),
                            "agent": str(agent.get("name", "")) if isinstance(agent, dict) else str(agent or ""),
                            "digitalSourceType": str(act.get("digitalSourceType", "")),
                            "models": list((act.get("parameters") or {}).get("org.facet.models", []))
                            if isinstance(act.get("parameters"), dict)
                            else [],
                        }
                    )
        elif label == ASSERTION and isinstance(body, dict):
            facet = _boxes_as_lists(body["manifest"]) if isinstance(body.get("manifest"), dict) else None
            ing = body.get("ingredient")
            sha = str(ing.get("sha256")) if isinstance(ing, dict) and ing.get("sha256") else None
    sig: dict[str, Any] = active["signature_info"] if isinstance(active.get("signature_info"), dict) else {}
    gen = active.get("claim_generator_info")
    generator = ", ".join(str(g.get("name", "")) for g in gen if isinstance(g, dict)) if isinstance(gen, list) else ""
    failures = []
    for m in (results.get("activeManifest") or {}).get("failure", []) if isinstance(results, dict) else []:
        if isinstance(m, dict):
            failures.append(str(m.get("code", "")))
    ingredients = [
        {"title": str(i.get("title", "")), "relationship": str(i.get("relationship", ""))}
        for i in active.get("ingredients", [])
        if isinstance(i, dict)
    ]
    return {
        "state": state,
        "trusted": state == "Trusted",
        "signer": {
            "issuer": str(sig.get("issuer", "")),
            "common_name": str(sig.get("common_name", "")),
            "alg": str(sig.get("alg", "")),
        },
        "claim_generator": generator,
        "actions": actions,
        "generated_by_ai": any(a["digitalSourceType"] in (TRAINED, COMPOSITE) for a in actions),
        "ingredients": ingredients,
        "facet": facet,
        "ingredient_sha256": sha,
        "failures": failures,
    }


def describe(found: dict[str, Any]) -> str:
    """One sentence about Content Credentials found by `read`."""
    who = found["signer"].get("common_name") or found["signer"].get("issuer") or "an unknown signer"
    if found["state"] == "Invalid":
        return (
            f"Content Credentials (C2PA) signed by '{who}' are present but do not validate "
            f"({', '.join(found['failures'][:3]) or 'invalid'}): the file was changed after signing."
        )
    trust = (
        "valid and trusted"
        if found["trusted"]
        else (
            "valid; the signer is not on a public trust list"
            if found["state"] == "Valid"
            else found["state"] or "unknown"
        )
    )
    ai = " They declare content made with a trained generative model." if found["generated_by_ai"] else ""
    return f"Content Credentials (C2PA) signed by '{who}' ({trust}).{ai}"


__all__ = [
    "ASSERTION",
    "COMPOSITE",
    "TRAINED",
    "data_dir",
    "describe",
    "ensure_signer",
    "generate_local_signer",
    "manifest_definition",
    "read",
    "sign",
    "signer_material",
]
