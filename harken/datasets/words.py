"""Word lists for synthetic keyword data: keyword spellings, near-misses and ordinary words.

In: keywords (lower-case English words such as ``on``, ``off``).
Out: the texts to speak for each keyword (spellings, punctuation, espeak phoneme forms, short
carrier phrases) and the negative words (near-misses first, then ordinary words), never containing
a keyword.

Near-misses for on/off are a fixed list chosen from measured confusions (docs/experiments.md); for other keywords they
are found by phoneme edit distance (espeak-ng's phonemes) over the vocabulary below. This module
does not speak anything; ``harken.datasets.synth`` does.
"""

from __future__ import annotations

import functools
import re

#: Hand-made near-misses: words a listener could mistake for the keyword.
NEAR_MISSES: dict[str, tuple[str, ...]] = {
    "on": (
        "one", "own", "an", "in", "un", "upon", "gone", "john", "don", "con", "dawn", "lawn", "yawn",
        "pawn", "fawn", "song", "long", "wrong", "won", "awn", "honor", "honest", "bomb", "mom", "tom",
        "ron", "nod", "not", "no", "now", "known", "phone", "tone", "bone", "loan", "moan", "alone",
        "anon", "eon", "onion", "only", "online", "onset", "option", "opera", "olive", "ox", "odd",
        "shone", "swan", "wand", "fond", "pond", "bond", "scone", "aunt", "earn", "oh", "awning",
        "ongoing", "an", "and", "end",
        # one short voiced syllable ending in a nasal: real "down", "five", "gun" score as "on" otherwise
        "down", "town", "gown", "done", "gun", "sun", "ton", "none", "own", "born", "barn", "dine",
    ),
    "off": (
        "of", "often", "offer", "office", "awe", "cough", "soft", "loft", "scoff", "oft", "aft",
        "laugh", "half", "calf", "staff", "buff", "puff", "stuff", "enough", "rough", "tough", "cuff",
        "huff", "if", "elf", "oaf", "loaf", "awful", "offal", "coffee", "toffee", "waffle", "oven",
        "orphan", "offset", "offspring", "afford", "effort", "fog", "dog", "log", "moth", "cloth",
        "boss", "toss", "loss", "cross", "sauce", "saw", "paw", "raw", "law", "jaw", "thaw", "ought",
        "bought", "caught", "fought", "all", "auf", "off-key", "golf", "wolf", "doff", "toff",
        # a short vowel and a voiceless stop or /f/-initial word: real "up", "stop", "four" score as "off" otherwise
        "up", "cup", "pup", "stop", "top", "hop", "shop", "pop", "four", "for", "fall", "fourth", "go", "got",
    ),
}

#: Keyword phrases and phoneme forms for the built-in keywords (espeak ``[[...]]`` notation).
KEYWORD_PHRASES: dict[str, tuple[str, ...]] = {
    "on": ("turn on", "switch on", "lights on"),
    "off": ("turn off", "switch off", "lights off"),
}
KEYWORD_PHONEMES: dict[str, tuple[str, ...]] = {
    "on": ("[['0n]]", "[['O2n]]", "[['A:n]]", "[['O:n]]"),
    "off": ("[['0f]]", "[['O2f]]", "[['O:f]]", "[['A:f]]"),
}

#: Ordinary words: Speech Commands words, digits and everyday English (a few hundred).
COMMON_WORDS: tuple[str, ...] = tuple(
    """
    yes no up down left right on off stop go zero one two three four five six seven eight nine
    bed bird cat dog happy house marvin sheila tree wow backward forward follow learn visual
    the be to and a in that have it for not with he as you do at this but his by from they we say
    her she or will my all would there their what so out if about who get which me when make can
    like time just him know take people into year your good some could them see other than then
    now look only come its over think also back after use how our work first well way even new
    want because any these give day most us is was are been has had were said did made may part
    water light music window kitchen garden table chair door floor paper pencil letter number
    morning evening night today tomorrow yesterday weather summer winter spring autumn
    coffee bread butter apple banana orange lemon cherry potato tomato carrot onion pepper
    red green blue yellow purple black white brown pink silver golden
    mother father sister brother family friend doctor teacher student driver farmer
    city village country river mountain forest ocean island desert valley bridge street
    car train plane boat bicycle bus truck engine wheel road station airport
    happy sad angry tired hungry busy quiet loud bright dark warm cold
    open close start finish begin end push pull lift drop carry throw catch
    read write speak listen watch play sing dance walk run jump swim sleep wake
    computer phone screen keyboard camera battery signal volume channel program
    hello goodbye please thanks sorry maybe never always sometimes often really very
    big small long short tall wide narrow heavy light fast slow early late
    minute hour week month second moment point level number system problem question
    answer reason example result story picture market money price business company
    school class lesson page book word sentence language voice sound noise
    yesterday another between under above around through during before after
    animal horse rabbit mouse tiger lion eagle snake spider monkey
    table blanket pillow mirror basket bottle bucket candle ladder hammer
    """.split()
)


def keyword_forms(keyword: str) -> tuple[tuple[str, str], ...]:
    """The texts to speak for ``keyword``, each with its kind: ``word``, ``phonemes`` or ``phrase``.

    Examples
    --------
    >>> [t for t, kind in keyword_forms("on")][:4]
    ['on', 'on.', 'on!', 'on?']
    """
    word = keyword.strip().lower()
    forms = [(t, "word") for t in (word, f"{word}.", f"{word}!", f"{word}?", word.capitalize(), f"{word},")]
    forms += [(t, "phonemes") for t in KEYWORD_PHONEMES.get(word, ())]
    forms += [(t, "phrase") for t in KEYWORD_PHRASES.get(word, ())]
    return tuple(forms)


def negative_forms(word: str) -> tuple[str, ...]:
    """Spellings of a negative word: plain and with sentence punctuation."""
    return (word, f"{word}.", f"{word}!", f"{word}?")


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _phoneme_symbols(phonemes: str) -> list[str]:
    """Split espeak phonemes into symbols: stress marks dropped, two-character symbols kept whole."""
    text = re.sub(r"[',%=_#\s-]", "", phonemes)
    return re.findall(r"[A-Za-z@3]:|[aeoOIUV@][IU@]|tS|dZ|[A-Za-z@0-9&]", text)


@functools.lru_cache(maxsize=64)
def near_misses(keyword: str, *, max_distance: int = 2, max_count: int = 40, voice: str = "en-us") -> tuple[str, ...]:
    """Words that sound close to ``keyword``: the hand-made list, else a phoneme edit-distance search.

    The search compares espeak-ng phonemes of ``keyword`` with those of every word in
    ``COMMON_WORDS`` and all hand-made near-miss lists, keeping words within ``max_distance``
    symbol edits (never the keyword itself), closest first, at most ``max_count`` of them.

    Examples
    --------
    >>> "often" in near_misses("off")
    True
    """
    word = keyword.strip().lower()
    if word in NEAR_MISSES:
        return tuple(dict.fromkeys(w for w in NEAR_MISSES[word] if w != word))
    from harken.audio.tts.espeak import espeak_phonemes

    target = _phoneme_symbols(espeak_phonemes(word, voice=voice))
    vocabulary = dict.fromkeys(COMMON_WORDS + tuple(w for ws in NEAR_MISSES.values() for w in ws))
    found = []
    for cand in vocabulary:
        if cand == word:
            continue
        d = _edit_distance(target, _phoneme_symbols(espeak_phonemes(cand, voice=voice)))
        if d <= max_distance:
            found.append((d, cand))
    return tuple(w for _, w in sorted(found)[:max_count])


def negative_words(keywords: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(near-misses, ordinary words) for ``keywords``, without any keyword and without repeats.

    Examples
    --------
    >>> near, common = negative_words(("on", "off"))
    >>> "on" in near + common, "one" in near, len(common) > 200
    (False, True, True)
    """
    keys = {k.strip().lower() for k in keywords}
    near = dict.fromkeys(w for k in keywords for w in near_misses(k.strip().lower()) if w not in keys)
    common = dict.fromkeys(w for w in COMMON_WORDS if w not in keys and w not in near)
    return tuple(near), tuple(common)
