"""The allocator setting batch workers use (vision.memory)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DECODE_TWENTY_TIMES = """
import resource, sys, cv2, numpy as np
from vision.io import decode_image
from vision.memory import reuse_freed_memory
if sys.argv[1] == "reuse":
    assert reuse_freed_memory() and reuse_freed_memory()  # in force, and idempotent
rng = np.random.default_rng(0)
photo = cv2.resize((rng.random((12, 16, 3)) * 255).astype(np.uint8), (1280, 960), interpolation=cv2.INTER_CUBIC)
data = cv2.imencode(".jpg", photo)[1].tobytes()
decode_image(data)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    decode_image(data)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", DECODE_TWENTY_TIMES, mode], check=True, capture_output=True, text=True).stdout
    return int(out)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_each_photo_reuses_the_last_photos_memory():
    """Decoding photo after photo, the pixels' memory is reused instead of mapped (and
    page-faulted) again for every photo."""
    default, reused = _faults("default"), _faults("reuse")
    assert reused < 0.25 * default, (reused, default)
