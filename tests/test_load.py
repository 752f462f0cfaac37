"""32 concurrent API clients against the app in its own process: no error, no cut-off download (a short run of
bench/load_bench.py: upload, one click, one edit and an export each; every downloaded file is fetched, its size
compared with what the server declared, decoded completely, and the export's C2PA manifest validated)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_32_concurrent_clients_finish_without_errors():
    from bench.load_bench import run

    result = run(clients=32, steps=1, side=192)
    assert result["failures"] == [] and result["clients_failed"] == 0, result["failures"]
    assert result["downloads_checked"] == 32 * 2  # one mask and one export each
    assert result["server_cut_off_downloads"] == 0, result["server_log_problems"]
    assert not [m for m in result["server_log_problems"] if "Traceback" in m or m.startswith("ERROR")], result[
        "server_log_problems"
    ]
