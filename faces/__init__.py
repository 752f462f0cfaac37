"""Faces: one room for everything about faces, below editors/ and segmenters/ (it imports core/ only).

Parts (coordinates: photo pixels; images RGB uint8 HxWx3; masks bool HxW; boxes XYXY):
- ``types``: ``Face``, the one face record (box, 5 keypoints, score; mesh, 106 landmarks, gender, age,
  ArcFace embedding when a backend gives them);
- ``detect``: finding faces (CenterFace offline, insightface SCRFD full), numbering them, choosing them;
- ``landmarks``: the MediaPipe 468-point face mesh and its index loops (oval, eyes, brows, lips, nose);
- ``insight``: the insightface models of the full backend (buffalo_l analysis, inswapper_128);
- ``geometry``: triangulation, the piecewise-affine mesh warp, identity reshaping, expression movement;
- ``masks``: face-shaped masks (oval, open mouth, head cover, fringe over the forehead, glasses frames);
- ``measures``: recognition measures (dlib 128-D descriptor, ArcFace similarity), landmark movement;
- ``blend``: matching a new face to the photo (tone, light, sharpness, grain) and pasting it; the swaps;
- ``gallery``: swap targets (``assets/faces``: the synthetic faces and two public-domain portraits);
- ``draw``: faces outlined and numbered for the UI.
"""
