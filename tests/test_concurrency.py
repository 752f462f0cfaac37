"""Several users at once: each client's results come from its own photo only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image


def _photos(tmp_path, n):
    """n different upright photos: the astronaut with channels rolled, mirrored and shifted, so each differs."""
    from skimage import data

    base = data.astronaut()
    out = []
    for i in range(n):
        img = np.roll(base, shift=i % 3, axis=2)
        img = img[:, ::-1] if i % 2 else img
        img = np.roll(img, shift=6 * i, axis=1).copy()
        path = tmp_path / f"user{i}.png"
        Image.fromarray(img).save(path)
        out.append((path, img))
    return out


def test_eight_clients_edit_in_parallel_and_see_only_their_photo(app_url, tmp_path):
    photos = _photos(tmp_path, 8)

    def user(i):
        path, original = photos[i]
        client = Client(app_url, verbose=False)
        out = client.predict(handle_file(str(path)), api_name="/upload")
        assert f"user{i}.png" in out[1], out[1]
        parts = {label.split(" · ")[0]: value for label, value in out[5]["choices"]}
        assert "background" in parts, parts
        client.predict(parts["background"], api_name="/use_part")
        out = client.predict(
            "Recolour",
            "denim",
            None,
            1.0,
            "#00ff00",
            "Target colour",
            0,
            1,
            0,
            0,
            None,
            1,
            0,
            8,
            1,
            "sunset",
            -1,
            0,
            api_name="/apply_edit",
        )
        assert "Applied" in out[1], out[1]
        result = np.asarray(Image.open(client.predict("PNG", api_name="/export")))
        return i, original, result

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(user, range(8)))
    for i, original, result in results:
        assert result.shape == original.shape, i
        changed = np.any(result != original, axis=2)
        assert 0.05 < changed.mean() < 0.95, (i, changed.mean())
        same = ~changed
        assert np.array_equal(result[same], original[same]), i  # every unchanged pixel is this user's own
