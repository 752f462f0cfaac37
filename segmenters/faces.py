"""The ``faces`` parser: CenterFace (``faces.detect.detect_faces``) on the photo, faces in work pixels.

Output ``data``: a list of ``faces.types.Face`` (box and 5 keypoints in *work* pixels, see ``ParseContext``),
sorted left to right. It yields no parts itself: ``face_parts`` turns faces into ``all faces``, eyes, lips, ...
"""

from __future__ import annotations

from core.models import ModelManager
from faces.detect import CENTERFACE_SOURCE, detect_faces
from segmenters.parsing import PARSERS, ParseContext, ParseOutput


class FaceDetector:
    name = "faces"

    def __init__(self, manager: ModelManager):
        self.manager = manager

    def run(self, ctx: ParseContext) -> ParseOutput:
        return ParseOutput(parts=[], data=detect_faces(ctx.photo.pixels, ctx.scale), source=CENTERFACE_SOURCE)


@PARSERS.register("faces")
def build(manager: ModelManager) -> FaceDetector:
    return FaceDetector(manager)
