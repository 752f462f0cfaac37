"""Select by words: a phrase ("the jacket", "sky", "the second person's hair") becomes a mask.

``select_text(phrase, parts, photo, manager)`` tries, in this order (``backend="auto"``):

1. **offline labels** — the phrase is matched to the labels the parsers found on this photo
   (``segmenters/parsing.py``: ``person 2``, ``person 2 · hair``, ``hair``, ``sky``, ``dog 1``, ...). The
   matcher knows no label list of its own: it reads the labels present, so new parser labels (ADE20K or VOC
   classes, animal instances) are selectable by their own name at once. A synonym table maps everyday words
   to label names (jacket/coat/shirt -> upper clothes, jeans -> lower clothes, sea/lake -> water, puppy ->
   dog, clouds -> sky, house -> building, ...), with ordinals and positions for instances ("the second
   person", "the person on the left", "the left horse", "person 3"), owners ("the second person's hair",
   "the hair of the person on the right", "her hair" on a one-person photo), plurals, articles and "and"
   ("the sky and the water"). The mask is the labelled part's own mask: the same as picking its chip.
2. **an open-vocabulary model** for words no label covers, when its weights are here: SAM 3 on a CUDA GPU
   (role ``sam3``: every instance of the concept, ordinals/positions pick among them) or CLIPSeg on a CPU
   (role ``clipseg``: one semantic mask; ordinals/positions pick among its connected regions). See
   ``segmenters/text_models.py``.

Words that match nothing raise ``NotUnderstood`` (a ``BadInput``) whose message lists what can be selected on
this photo. Every answer says what was understood: ``selected: upper clothes of person 2 (offline labels)``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.errors import BadInput, ModelUnavailable
from core.types import Photo, Segment
from segmenters.registry import TEXT_SEGMENTERS

SEP = " · "  # as in segmenters.parsing ("person 2 · hair"); repeated here so the matcher needs no parser import
OFFLINE = "offline labels"
MAX_PHRASE = 200

# -- the vocabulary ------------------------------------------------------------------------------------

# (label candidates in order of preference, words and phrases that mean them). The first candidate that
# exists on the photo wins, so "sea" selects an ADE20K "sea" label where a parser makes one, else "water".
_SYNONYMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("person",),
        (
            "person",
            "man",
            "woman",
            "guy",
            "lady",
            "boy",
            "girl",
            "child",
            "kid",
            "human",
            "player",
            "figure",
            "individual",
            "someone",
            "somebody",
            "gentleman",
            "he",
            "she",
            "him",
        ),
    ),
    (
        ("upper clothes",),
        (
            "upper clothes",
            "upper clothing",
            "upper-clothes",
            "jacket",
            "coat",
            "shirt",
            "t-shirt",
            "tshirt",
            "t shirt",
            "top",
            "blouse",
            "sweater",
            "jumper",
            "hoodie",
            "suit",
            "blazer",
            "vest",
            "cardigan",
            "pullover",
            "uniform",
            "jersey",
            "sweatshirt",
            "tunic",
            "anorak",
            "parka",
            "overcoat",
            "tank top",
            "polo",
            "shirt sleeves",
            "sleeves",
            "spacesuit",
            "space suit",
        ),
    ),
    (
        ("lower clothes",),
        (
            "lower clothes",
            "lower clothing",
            "trousers",
            "pants",
            "jeans",
            "skirt",
            "shorts",
            "slacks",
            "leggings",
            "bottoms",
            "chinos",
            "trouser",
            "pant",
        ),
    ),
    (("dress",), ("dress", "gown", "frock", "robe")),
    (("shoes",), ("shoes", "shoe", "boots", "boot", "sneakers", "sneaker", "trainers", "footwear", "sandals", "heels")),
    (("hat",), ("hat", "cap", "helmet", "beanie", "headwear", "beret", "headscarf")),
    (("hair",), ("hair", "hairstyle", "haircut", "hairdo", "locks", "bangs")),
    (("face",), ("face", "visage")),
    (("skin",), ("skin", "arms", "arm", "legs", "leg", "hands", "neck", "limbs")),
    (("eyes",), ("eyes", "eye")),
    (("eyebrows",), ("eyebrows", "eyebrow", "brows", "brow")),
    (("nose",), ("nose",)),
    (("mouth", "lips"), ("mouth",)),
    (("lips", "mouth"), ("lips", "lip")),
    (("ears",), ("ears", "ear")),
    (("glasses", "sunglasses"), ("glasses", "spectacles", "eyeglasses")),
    (("sunglasses", "glasses"), ("sunglasses", "shades")),
    (("belt",), ("belt",)),
    (("bag",), ("bag", "handbag", "purse", "backpack")),
    (("scarf",), ("scarf", "shawl")),
    (("all faces",), ("all faces", "faces", "every face", "everyone's face", "everybody's face", "all the faces")),
    (
        ("background",),
        (
            "background",
            "backdrop",
            "surroundings",
            "everything else",
            "scenery",
            "everything but the people",
            "everything except the people",
            "behind the people",
        ),
    ),
    (("sky",), ("sky", "skies", "clouds", "cloud", "heavens", "cloudy sky", "blue sky")),
    (
        ("building",),
        (
            "building",
            "buildings",
            "house",
            "houses",
            "tower",
            "temple",
            "church",
            "facade",
            "façade",
            "architecture",
            "skyscraper",
            "roof",
            "pagoda",
            "castle",
            "palace",
            "home",
        ),
    ),
    (("wall", "building"), ("wall", "walls")),
    (("tree",), ("tree", "trees", "forest", "woods", "foliage", "palm", "palms", "palm tree", "treetops")),
    (("plant", "tree"), ("plant", "plants", "bush", "bushes", "shrub", "shrubs", "hedge", "greenery")),
    (("grass", "field"), ("grass", "lawn", "meadow", "turf", "pitch")),
    (("field", "grass"), ("field",)),
    (("road", "street"), ("road", "street", "asphalt", "highway", "roadway")),
    (("sidewalk", "road"), ("sidewalk", "pavement", "footpath")),
    (("path", "road"), ("path", "trail")),
    (("water",), ("water", "waters")),
    (("sea", "water"), ("sea", "ocean", "waves", "seawater")),
    (("lake", "water"), ("lake", "pond")),
    (("river", "water"), ("river", "stream", "creek", "canal")),
    (("mountain", "hill"), ("mountain", "mountains", "peak", "peaks")),
    (("hill", "mountain"), ("hill", "hills")),
    (("earth", "ground"), ("earth", "soil", "dirt", "ground")),
    (("sand",), ("sand", "beach")),
    (("snow",), ("snow",)),
    (("rock",), ("rock", "rocks", "stone", "stones", "boulder")),
    (("floor",), ("floor", "flooring")),
    (("ceiling",), ("ceiling",)),
    (("car",), ("car", "cars", "auto", "automobile", "vehicle", "taxi")),
    (("truck",), ("truck", "lorry")),
    (("bus",), ("bus",)),
    (("van",), ("van",)),
    (("bicycle",), ("bicycle", "bike", "cycle")),
    (("motorbike",), ("motorbike", "motorcycle", "scooter")),
    (("boat", "ship"), ("boat", "ship", "sailboat", "yacht")),
    (("airplane", "aeroplane"), ("airplane", "aeroplane", "plane", "aircraft", "jet")),
    (("train",), ("train", "railway car", "tram")),
    (("dog",), ("dog", "puppy", "pup", "doggy", "doggie", "hound")),
    (("cat",), ("cat", "kitten", "kitty", "kitties")),
    (("horse",), ("horse", "pony", "foal", "stallion", "mare")),
    (("cow",), ("cow", "cattle", "calf", "bull", "ox")),
    (("sheep",), ("sheep", "lamb", "ewe")),
    (("bird",), ("bird", "birdie", "pigeon", "seagull", "gull", "sparrow")),
    (("flower",), ("flower", "flowers", "blossom", "blossoms")),
    (("fence",), ("fence", "railing")),
    (("window", "windowpane"), ("window", "windows", "windowpane")),
    (("door",), ("door", "doors", "gate")),
    (("chair",), ("chair", "seat")),
    (("table",), ("table", "desk")),
    (("sofa",), ("sofa", "couch")),
    (("bottle",), ("bottle",)),
    (("potted plant", "plant"), ("potted plant", "pot plant", "houseplant")),
    (("tv monitor", "screen"), ("tv", "television", "monitor", "screen")),
    (("signboard",), ("sign", "signboard", "billboard")),
    (("streetlight",), ("streetlight", "street light", "street lamp", "lamppost")),
    (("bridge",), ("bridge",)),
)

# Words for several labels at once (all present ones are joined).
_GROUPS: dict[str, tuple[str, ...]] = {
    "clothes": ("upper clothes", "lower clothes", "dress"),
    "clothing": ("upper clothes", "lower clothes", "dress"),
    "outfit": ("upper clothes", "lower clothes", "dress"),
    "garments": ("upper clothes", "lower clothes", "dress"),
    # the VOC net's animals, the detector's COCO ones (segmenters/detector.py ANIMALS) and the generic "animal"
    "animal": ("dog", "cat", "horse", "cow", "sheep", "bird", "elephant", "bear", "zebra", "giraffe", "animal"),
    "pet": ("dog", "cat"),
    "vehicle": ("car", "truck", "bus", "van", "bicycle", "motorbike"),
    "water body": ("water", "sea", "lake", "river"),
}

# Plural forms the simple rules below miss.
_IRREGULAR = {
    "people": "person",
    "persons": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "kids": "kid",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "gentlemen": "gentleman",
    "ladies": "lady",
    "puppies": "puppy",
    "ponies": "pony",
    "skies": "sky",
    "cattle": "cattle",
    "sheep": "sheep",
    "glasses": "glasses",
    "sunglasses": "sunglasses",
    "clothes": "clothes",
    "trousers": "trousers",
    "pants": "pants",
    "jeans": "jeans",
    "shorts": "shorts",
    "leggings": "leggings",
    "slacks": "slacks",
    "chinos": "chinos",
    "lips": "lips",
    "eyes": "eyes",
    "eyebrows": "eyebrows",
    "shoes": "shoes",
    "ears": "ears",
    "bus": "bus",
    "grass": "grass",
    "glass": "glass",
    "everyone": "person",
    "everybody": "person",
    "they": "person",
    "them": "person",
    "waves": "waves",
    "boots": "boots",
    "sneakers": "sneakers",
    "trainers": "trainers",
    "sandals": "sandals",
    "heels": "heels",
    "brows": "brows",
}
_ALL_WORDS = {"all", "every", "each", "both", "everyone", "everybody", "they", "them", "their"}

ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "6th": 6,
    "7th": 7,
    "8th": 8,
    "9th": 9,
    "10th": 10,
    "last": -1,
}
CARDINALS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# position word -> (sort key over instances, take index)
POSITIONS = {
    "left": ("x", 0),
    "leftmost": ("x", 0),
    "right": ("x", -1),
    "rightmost": ("x", -1),
    "middle": ("centre", 0),
    "center": ("centre", 0),
    "centre": ("centre", 0),
    "central": ("centre", 0),
    "top": ("y", 0),
    "topmost": ("y", 0),
    "upper": ("y", 0),
    "bottom": ("y", -1),
    "lower": ("y", -1),
    "biggest": ("area", -1),
    "largest": ("area", -1),
    "big": ("area", -1),
    "large": ("area", -1),
    "tallest": ("height", -1),
    "smallest": ("area", 0),
    "small": ("area", 0),
    "little": ("area", 0),
    "front": ("area", -1),
    "foreground": ("area", -1),
}
_PRONOUNS = {"her", "his", "its", "hers", "their", "theirs"}
_STOP = {
    "the",
    "a",
    "an",
    "please",
    "select",
    "pick",
    "choose",
    "change",
    "only",
    "just",
    "my",
    "this",
    "that",
    "these",
    "those",
    "in",
    "on",
    "at",
    "to",
    "photo",
    "picture",
    "image",
    "part",
    "parts",
    "one",
    "ones",
    "of",
    "with",
    "from",
    "side",
    "hand",
    "most",
    "is",
    "are",
    "who",
    "which",
    "whole",
    "entire",
    "s",
    "some",
    "me",
    "mark",
    "segment",
    "thing",
    "area",
    "region",
    "and",
    "standing",
    "sitting",
    "there",
}
_NUMBER_WORDS = {"number", "no", "nr", "#"}


# -- the labels on a photo -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One labelled part, split into class, instance number and part: ``person 2 · hair`` -> (person, 2, hair)."""

    segment: Segment
    cls: str
    number: int | None
    part: str | None


def parse_label(label: str) -> tuple[str, int | None, str | None]:
    """'person 2 · hair' -> ('person', 2, 'hair'); 'dog 1' -> ('dog', 1, None); 'sky' -> ('sky', None, None)."""
    head, _, rest = label.partition(SEP)
    part = rest or None
    m = re.fullmatch(r"(.*?)\s+(\d+)", head.strip())
    if m:
        return m.group(1).strip().lower(), int(m.group(2)), (part.strip().lower() if part else None)
    return head.strip().lower(), None, (part.strip().lower() if part else None)


class Catalogue:
    """The labels present on one photo, indexed for the matcher."""

    def __init__(self, parts: Sequence[Segment]):
        self.entries = [Entry(p, *parse_label(p.label)) for p in parts if p.mask.any()]
        self.width = parts[0].mask.shape[1] if parts else 0
        self.height = parts[0].mask.shape[0] if parts else 0

    def instances(self, cls: str) -> list[Entry]:
        return sorted(
            (e for e in self.entries if e.cls == cls and e.number is not None and e.part is None),
            key=lambda e: e.number or 0,
        )

    def union(self, cls: str) -> Entry | None:
        return next((e for e in self.entries if e.cls == cls and e.number is None and e.part is None), None)

    def part_of(self, cls: str, number: int, part: str) -> Entry | None:
        return next((e for e in self.entries if e.cls == cls and e.number == number and e.part == part), None)

    def has(self, name: str) -> bool:
        """True when ``name`` is a class with instances, a whole-photo label, or a per-instance part."""
        return any(e.cls == name or e.part == name for e in self.entries)

    def instance_classes(self) -> list[str]:
        seen: list[str] = []
        for e in self.entries:
            if e.number is not None and e.part is None and e.cls not in seen:
                seen.append(e.cls)
        return seen

    def names(self) -> set[str]:
        return {e.cls for e in self.entries} | {e.part for e in self.entries if e.part}

    def selectable(self) -> str:
        """What can be selected, for messages: 'person 1–6 (e.g. ...), hair, face, ..., sky'."""
        bits: list[str] = []
        for cls in self.instance_classes():
            nums = [e.number or 0 for e in self.instances(cls)]
            if len(nums) > 1:
                bits.append(f"{cls} {min(nums)}–{max(nums)} (e.g. 'the second {cls}', 'the {cls} on the left')")
            else:
                bits.append(f"{cls} {nums[0]}")
        owners = {e.cls for e in self.entries if e.part}
        for e in self.entries:
            if e.number is None and e.part is None and e.segment.label not in bits:
                bits.append(e.segment.label)
        for owner in owners:
            bits.append(f"a {owner}'s part (e.g. 'the second {owner}'s hair')")
        return ", ".join(bits) if bits else "nothing (no labelled parts were found)"


# -- the phrase ----------------------------------------------------------------------------------------


class NotUnderstood(BadInput):
    """No label (and no model) matches the phrase; the message lists what can be selected on this photo."""

    def __init__(self, message: str, unknown: Sequence[str] = (), selectable: str = ""):
        super().__init__(message)
        self.unknown = list(unknown)
        self.selectable = selectable


@dataclass
class Concept:
    words: str  # as the user wrote them, e.g. "jacket"
    candidates: tuple[str, ...]  # label names in order of preference
    plural: bool = False
    group: bool = False  # several labels at once ("clothes")


@dataclass
class Selector:
    """Which instance(s): an ordinal/number, a position word, or all."""

    number: int | None = None  # 1-based; -1 = last
    position: str | None = None  # a POSITIONS key
    from_right: bool = False  # "the second from the right"
    everyone: bool = False

    @property
    def empty(self) -> bool:
        return self.number is None and self.position is None and not self.everyone

    def describe(self, cls: str, count: int) -> str:
        if self.position and self.number:
            side = "right" if self.from_right else "left"
            return f"{_ordinal_word(self.number)} {cls} from the {side}"
        if self.position:
            return (
                f"the {self.position} {cls}"
                if self.position not in ("left", "right")
                else f"the {cls} on the {self.position}"
            )
        return ""


@dataclass
class Chunk:
    concepts: list[Concept] = field(default_factory=list)
    selector: Selector = field(default_factory=Selector)
    pronoun: bool = False
    unknown: list[str] = field(default_factory=list)
    owner_index: int | None = None  # which concept owns the others ("the second person's hair" -> person)
    model_text: str = ""  # the phrase without selector words, for an open-vocabulary model


def _set_position(selector: Selector, word: str) -> None:
    selector.position = word
    selector.from_right = POSITIONS[word] == ("x", -1)


def _ordinal_word(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", -1: "last"}.get(n, f"#{n}")


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and re.search(r"(ches|shes|sses|xes)$", word):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _vocabulary(catalogue: Catalogue) -> dict[str, tuple[tuple[str, ...], bool]]:
    """phrase -> (label candidates, is a group). Synonyms plus every label name present on the photo."""
    vocab: dict[str, tuple[tuple[str, ...], bool]] = {}
    for candidates, phrases in _SYNONYMS:
        for p in phrases:
            vocab.setdefault(p, (candidates, False))
    for word, labels in _GROUPS.items():
        vocab.setdefault(word, (labels, True))
    for name in catalogue.names():  # the photo's own labels, by their own names ("traffic light", "car")
        if name in _GROUPS:  # a label named like a group word ("animal") stays that group, of which it is one
            continue
        vocab[name] = (name,) + tuple(c for c in vocab.get(name, ((), False))[0] if c != name), False
    return vocab


def tokenize(phrase: str) -> list[str]:
    text = phrase.lower().replace("’", "'").replace("-", " ")
    text = re.sub(r"#\s*(\d+)", r"number \1", text)
    text = re.sub(r"(\w)'s\b", r"\1 's", text)  # possessive: "person's" -> "person 's"
    text = re.sub(r"(\w)s'(?=\s|$)", r"\1s 's", text)  # plural possessive: "people's" handled above; "dogs'"
    return re.findall(r"'s|[a-z0-9]+(?:'[a-z]+)?", text)


def parse_phrase(phrase: str, catalogue: Catalogue) -> list[Chunk]:
    """Split on 'and' / ',' and read each chunk's concepts, selector, owner and unknown words."""
    vocab = _vocabulary(catalogue)
    longest = max((len(k.split()) for k in vocab), default=1)
    pieces = re.split(r",|\band\b|&|\bplus\b", phrase.lower())
    chunks = []
    for piece in pieces:
        tokens = tokenize(piece)
        if not tokens:
            continue
        chunk = Chunk()
        model_words: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in POSITIONS and i >= 2 and tokens[i - 1] == "the" and tokens[i - 2] in ("at", "on", "in", "to"):
                _set_position(chunk.selector, tok)  # "on the left", "at the top" (not the garment "top")
                i += 1
                continue
            match = None
            for n in range(min(longest, len(tokens) - i), 0, -1):  # the longest phrase first ("upper clothes")
                words = tokens[i : i + n]
                if "'s" in words:
                    continue
                key = " ".join(words)
                alts = [key, " ".join(words[:-1] + [_singular(words[-1])])]
                for alt in alts:
                    if alt in vocab:
                        cands, group = vocab[alt]
                        plural = alt != key or words[-1] in ("people", "everyone", "everybody", "faces")
                        match = (n, Concept(key, cands, plural=plural, group=group))
                        break
                if match:
                    break
            if match:
                n, concept = match
                if concept.words in ("everyone", "everybody", "they", "them"):
                    chunk.selector.everyone = True
                chunk.concepts.append(concept)
                model_words.append(concept.words)
                if concept.words in ("he", "she", "him"):
                    chunk.pronoun = True
                i += n
                continue
            if tok == "'s":
                if chunk.concepts:
                    chunk.owner_index = len(chunk.concepts) - 1
                i += 1
                continue
            if tok == "of" and chunk.concepts:  # "the hair of the second person": the next concept owns
                chunk.owner_index = -2  # resolved below: the concept after 'of'
                i += 1
                continue
            if tok in _NUMBER_WORDS and i + 1 < len(tokens) and tokens[i + 1].isdigit():
                chunk.selector.number = int(tokens[i + 1])
                i += 2
                continue
            if (tok.isdigit() or tok in CARDINALS) and chunk.concepts:  # "person 2", "person two"
                chunk.selector.number = int(tok) if tok.isdigit() else CARDINALS[tok]
                i += 1
                continue
            if tok in ORDINALS:
                chunk.selector.number = ORDINALS[tok]
                i += 1
                continue
            if tok in POSITIONS:
                _set_position(chunk.selector, tok)
                i += 1
                continue
            if tok in _ALL_WORDS:
                chunk.selector.everyone = True
                if tok == "their":
                    chunk.pronoun = True
                i += 1
                continue
            if tok in _PRONOUNS:
                chunk.pronoun = True
                i += 1
                continue
            if tok not in _STOP:
                chunk.unknown.append(tok)
                model_words.append(tok)
            i += 1
        if chunk.owner_index == -2:
            chunk.owner_index = 1 if len(chunk.concepts) >= 2 else None
        classes = catalogue.instance_classes()
        if not chunk.concepts and not chunk.unknown and not chunk.selector.empty and len(classes) == 1:
            chunk.concepts.append(Concept(classes[0], (classes[0],)))  # "the second from the right", "#4"
        chunk.model_text = " ".join(model_words)
        chunks.append(chunk)
    return chunks


# -- resolving a chunk against the labels --------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    entries: tuple[Entry, ...]
    understood: str


def pick_instances(
    items: Sequence,
    selector: Selector,
    boxes: Sequence[tuple[float, float, float, float]],
    areas: Sequence[float],
    width: int,
    numbers: Sequence[int] | None = None,
    what: str = "",
) -> list[int]:
    """Indices of ``items`` the selector chooses. ``boxes`` XYXY and ``areas`` per item; ``numbers`` are the
    items' own numbers (labels 'person 2'), used for plain ordinals; else ordinals count left to right."""
    n = len(items)
    if n == 0:
        return []
    if selector.position:
        key, take = POSITIONS[selector.position]
        cx = [(b[0] + b[2]) / 2 for b in boxes]
        cy = [(b[1] + b[3]) / 2 for b in boxes]
        keys = {
            "x": cx,
            "y": cy,
            "area": list(areas),
            "height": [b[3] - b[1] for b in boxes],
            "centre": [abs(c - width / 2) for c in cx],
        }[key]
        order = sorted(range(n), key=lambda k: keys[k])
        if selector.number and selector.number > 0:  # "the second from the right"
            k = selector.number - 1
            if k >= n:
                raise BadInput(f"there {'is' if n == 1 else 'are'} only {n} {what}".rstrip())
            return [order[-1 - k] if take == -1 else order[k]]
        return [order[take]]
    if selector.number is not None:
        if selector.number == -1:
            order = sorted(range(n), key=lambda k: numbers[k] if numbers else (boxes[k][0] + boxes[k][2]) / 2)
            return [order[-1]]
        if numbers:
            found = [k for k in range(n) if numbers[k] == selector.number]
            if not found:
                raise BadInput(f"there is no {what} #{selector.number} (there {'is' if n == 1 else 'are'} {n})")
            return found
        order = sorted(range(n), key=lambda k: (boxes[k][0] + boxes[k][2]) / 2)
        if selector.number > n:
            raise BadInput(f"there {'is' if n == 1 else 'are'} only {n} {what}".rstrip())
        return [order[selector.number - 1]]
    return list(range(n))


def _choose(candidates: Sequence[str], catalogue: Catalogue) -> str | None:
    return next((c for c in candidates if catalogue.has(c)), None)


def _resolve_owner(cls: str, selector: Selector, pronoun: bool, catalogue: Catalogue) -> tuple[list[Entry], str]:
    insts = catalogue.instances(cls)
    if not insts:
        raise BadInput(f"no {cls} was found on this photo")
    if selector.empty or (pronoun and len(insts) == 1):
        return insts, ("" if len(insts) == 1 else f"all {len(insts)}")
    chosen = pick_instances(
        insts,
        selector,
        [e.segment.bbox or (0, 0, 0, 0) for e in insts],
        [e.segment.area for e in insts],
        catalogue.width,
        [e.number or 0 for e in insts],
        cls,
    )
    if selector.everyone and not selector.number and not selector.position:
        chosen = list(range(len(insts)))
    return [insts[k] for k in chosen], selector.describe(cls, len(insts))


def _labels_for(c: Concept, catalogue: Catalogue) -> list[str]:
    """The photo's labels a concept names: every present one for a group word ("clothes"), else the first
    present candidate; ``BadInput`` when the photo has none."""
    labels = (
        [lb for lb in c.candidates if catalogue.has(lb)]
        if c.group
        else [lb for lb in [_choose(c.candidates, catalogue)] if lb]
    )
    if not labels:
        raise BadInput(f"there is no {c.words} on this photo (no '{c.candidates[0]}' label)")
    return labels


def resolve_chunk(chunk: Chunk, catalogue: Catalogue) -> Pick:
    """The labelled parts one chunk names. Raises NotUnderstood / BadInput with a message for the user."""
    if not chunk.concepts:
        raise NotUnderstood("", chunk.unknown)
    owners = [
        k
        for k, c in enumerate(chunk.concepts)
        if not c.group and _choose(c.candidates, catalogue) in catalogue.instance_classes()
    ]
    owner_k = (
        chunk.owner_index
        if chunk.owner_index is not None and chunk.owner_index in owners
        else (owners[0] if owners and len(chunk.concepts) > 1 else None)
    )
    if len(chunk.concepts) == 1 and owners:
        owner_k = None  # "the second person": the instance itself
    parts = [c for k, c in enumerate(chunk.concepts) if k != owner_k]

    if owner_k is None:
        entries: list[Entry] = []
        said: list[str] = []
        for c in parts:
            labels = _labels_for(c, catalogue)
            for lb in labels:
                if lb in catalogue.instance_classes():
                    chosen, how = _resolve_owner(lb, chunk.selector, chunk.pronoun, catalogue)
                    entries += chosen
                    names = ", ".join(e.segment.label for e in chosen)
                    said.append(f"{names}" + (f" ({how})" if how else ""))
                    continue
                e = catalogue.union(lb)
                if e is None:  # only per-instance parts carry this label (unusual): join them
                    per = [x for x in catalogue.entries if x.part == lb]
                    entries += per
                    said.append(f"{lb} of every {per[0].cls}")
                    continue
                if (chunk.selector.number or chunk.selector.position) and not chunk.selector.everyone:
                    owner_cls = _single_owner_class(catalogue)
                    if owner_cls is not None and any(x.part == lb for x in catalogue.entries):
                        # "the second hair" reads as the second person's hair
                        return resolve_chunk(
                            Chunk([Concept(owner_cls, (owner_cls,)), c], chunk.selector, chunk.pronoun, [], 0),
                            catalogue,
                        )
                    entries.append(e)
                    said.append(f"{lb} (one {lb} region here: all of it)")
                    continue
                entries.append(e)
                said.append(lb)
        return Pick(tuple(entries), " + ".join(said))

    owner = chunk.concepts[owner_k]
    cls = _choose(owner.candidates, catalogue) or owner.candidates[0]
    chosen, how = _resolve_owner(cls, chunk.selector, chunk.pronoun, catalogue)
    entries = []
    said = []
    for c in parts:
        labels = _labels_for(c, catalogue)
        for lb in labels:
            everyone = len(chosen) == len(catalogue.instances(cls))
            union = catalogue.union(lb)
            if everyone and union is not None:  # one person on the photo, or all of them: the union label
                entries.append(union)
                said.append(lb + (f" of {chosen[0].segment.label}" if len(chosen) == 1 else f" of all {_plural(cls)}"))
                continue
            for inst in chosen:
                e = catalogue.part_of(cls, inst.number or 0, lb)
                if e is None and c.group:
                    continue  # "the second person's clothes": the garments this person has
                if e is None:
                    raise BadInput(
                        f"{inst.segment.label} has no {lb} on this photo; "
                        f"{inst.segment.label} has: {_parts_of(catalogue, cls, inst.number)}"
                    )
                entries.append(e)
                said.append(f"{lb} of {inst.segment.label}" + (f" ({how})" if how else ""))
    if not entries:
        raise BadInput(f"{', '.join(i.segment.label for i in chosen)} has no {parts[0].words} on this photo")
    return Pick(tuple(entries), " + ".join(said))


def _plural(cls: str) -> str:
    return {"person": "people", "sheep": "sheep"}.get(cls, cls + "s")


def _single_owner_class(catalogue: Catalogue) -> str | None:
    owners = {e.cls for e in catalogue.entries if e.part}
    return next(iter(owners)) if len(owners) == 1 else None


def _parts_of(catalogue: Catalogue, cls: str, number: int | None) -> str:
    have = [e.part for e in catalogue.entries if e.cls == cls and e.number == number and e.part]
    return ", ".join(p for p in have if p) or "no labelled parts"


# -- the answer ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TextSelection:
    """What a phrase selected: the mask (bool HxW, the photo's size) and what was understood."""

    mask: np.ndarray
    label: str  # a name for the segment, e.g. "person 2 · upper clothes" or "sky + water"
    understood: str  # e.g. "upper clothes of person 2"
    backend: str  # "offline labels", "CLIPSeg (clipseg-rd64-refined)", "SAM 3 (sam3)"
    source: str  # the labelled parts' sources, or the model's
    seconds: float
    parts: tuple[int, ...] = ()  # ids of the labelled parts used (offline labels)
    score: float | None = None

    @property
    def message(self) -> str:
        return f"selected: {self.understood} ({self.backend})"


def match_labels(phrase: str, parts: Sequence[Segment]) -> TextSelection:
    """The offline backend: ``phrase`` matched to the labelled ``parts`` of one photo."""
    t0 = time.perf_counter()
    text = _check_phrase(phrase)
    catalogue = Catalogue(parts)
    chunks = parse_phrase(text, catalogue)
    unknown = [w for c in chunks for w in c.unknown]
    if not chunks or not any(c.concepts for c in chunks):
        raise _not_understood(text, unknown, catalogue)
    picks: list[Pick] = []
    for chunk in chunks:
        if not chunk.concepts:
            raise _not_understood(text, chunk.unknown, catalogue)
        try:
            picks.append(resolve_chunk(chunk, catalogue))
        except NotUnderstood:
            raise _not_understood(text, chunk.unknown, catalogue) from None
        except BadInput as exc:
            raise NotUnderstood(
                f"'{text}': {exc}. You can select: {catalogue.selectable()}.", unknown, catalogue.selectable()
            ) from None
    entries = [e for p in picks for e in p.entries]
    seen: list[Entry] = []
    for e in entries:
        if all(e.segment.id != s.segment.id for s in seen):
            seen.append(e)
    mask = np.zeros_like(seen[0].segment.mask)
    for e in seen:
        mask |= e.segment.mask
    label = " + ".join(e.segment.label for e in seen)
    sources: list[str] = []
    for e in seen:
        if e.segment.source not in sources:
            sources.append(e.segment.source)
    understood = " + ".join(p.understood for p in picks)
    if unknown:
        understood += f" (ignored: {', '.join(unknown)})"
    return TextSelection(
        mask,
        label,
        understood,
        OFFLINE,
        " + ".join(sources),
        time.perf_counter() - t0,
        tuple(e.segment.id for e in seen),
        seen[0].segment.score if len(seen) == 1 else None,
    )


def _check_phrase(phrase: str) -> str:
    text = " ".join(str(phrase or "").split())
    if not text:
        raise BadInput("type what to select, e.g. 'sky', 'the jacket' or 'the second person's hair'")
    if len(text) > MAX_PHRASE:
        raise BadInput(f"the phrase is too long ({len(text)} characters; at most {MAX_PHRASE})")
    return text


def _not_understood(text: str, unknown: Sequence[str], catalogue: Catalogue) -> NotUnderstood:
    words = ", ".join(f"'{w}'" for w in unknown)
    listing = catalogue.selectable()
    return NotUnderstood(
        f"Nothing on this photo matches '{text}'"
        + (f" (unknown: {words})" if words else "")
        + f". You can select: {listing}.",
        unknown,
        listing,
    )


# -- open-vocabulary models and the dispatcher ---------------------------------------------------------


def model_backend_for(manager) -> str | None:
    """The open-vocabulary backend usable here: 'sam3' on a CUDA GPU with its weights, else 'clipseg' with
    its weights, else None (offline labels only). Never downloads."""
    if manager.ready("sam3") and manager.device == "cuda":
        return "sam3"
    if manager.ready("clipseg"):
        return "clipseg"
    return None


def select_text(
    phrase: str, parts: Sequence[Segment], photo: Photo | None = None, manager=None, backend: str = "auto"
) -> TextSelection:
    """A phrase -> TextSelection. ``backend``: 'auto' (labels, then a model for words no label covers),
    'labels', 'clipseg' or 'sam3'. Raises NotUnderstood (a BadInput) listing what can be selected, or
    ModelUnavailable when a model backend was asked for and its weights are missing."""
    if backend not in ("auto", "labels", "clipseg", "sam3"):
        raise BadInput(f"backend must be auto, labels, clipseg or sam3, not {backend!r}")
    text = _check_phrase(phrase)
    if backend in ("auto", "labels"):
        try:
            return match_labels(text, parts)
        except NotUnderstood as exc:
            if backend == "labels" or manager is None or photo is None:
                raise
            model = model_backend_for(manager)
            if model is None:
                raise
            first = exc
    else:
        model, first = backend, None
    if photo is None or manager is None:
        raise BadInput("a model backend needs the photo and the model manager")
    seg = TEXT_SEGMENTERS.build(model, manager)
    try:
        return seg.select(photo, text, Catalogue(parts))
    except ModelUnavailable:
        if first is not None:
            raise first from None
        raise
