"""OCR and roster-matching bench: which scorer, how accurate, how fast.

    .venv/bin/python bench/ocr.py matching [--copies 300] [--roster 150] [--seed 7]
    .venv/bin/python bench/ocr.py engine [--names 30] [--roster 150] [--seed 7]

``matching`` compares candidate scoring functions on synthetic OCR'd headers (accents dropped, case
changed, names swapped, spaces dropped, one-letter OCR errors, labels, exam-title noise) against a roster
seeded with look-alikes (siblings, LEROY/LEROYER, ANNE/JEANNE, a student named like the school), then
times ``rank_candidates`` for 30 copies x 150 students. ``engine`` renders printed headers with PyMuPDF
(150 DPI JPEG), reads them with the local engine and reports seconds per header and top-1 accuracy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz

from chalicelib.domain.matching import RosterEntry, assign_one_to_one, auto_match, rank_candidates
from functions.ocr_engines import matching

LAST_NAMES = [
    "Dupont", "Martin", "Martinez", "Leroy", "Leroyer", "Bernard", "Petit", "Durand", "Lefèvre", "Moreau",
    "Laurent", "Simon", "Michel", "Garçon", "Roux", "Fournier", "Girard", "Bonnet", "Mercier", "Faure",
    "André", "Blanc", "Guérin", "Müller", "Boyer", "Chevalier", "François", "Legrand", "Gauthier", "Perrin",
    "de la Tour", "Le Goff", "N'Diaye", "Nguyen", "Benali", "Da Silva", "Saint-Just", "Lemaître", "Brochard",
    "Thomas", "Robin", "Collin", "Colin", "Hoarau", "Poirier", "Caron", "Barbier", "Aubert", "Noël", "Moulin",
    "Dubois", "Dubos", "Rousseau", "Vincent", "Muller", "Kowalski", "Öztürk", "Renaud", "Meunier", "Lambert",
]
FIRST_NAMES = [
    "Élodie", "Anne", "Jeanne", "Léa", "Léo", "Jean-Baptiste", "Marie-Ève", "Chloé", "Zoé", "Inès", "Noé",
    "Maël", "Maëlle", "Hélène", "Jérôme", "Françoise", "Lucas", "Louis", "Louise", "Hugo", "Jules", "Julie",
    "Emma", "Gabriel", "Raphaël", "Arthur", "Adam", "Sarah", "Yasmine", "Mohamed", "Thomas", "Martin",
    "Camille", "Manon", "Océane", "Clément", "Théo", "Mathéo", "Mathis", "Nathan", "Enzo", "Ethan", "Jade",
    "Lina", "Rose", "Anaïs", "Agathe", "Benoît", "Cédric", "Jean", "Paul", "Pauline", "Victor", "Joséphine",
]
# Pairs that look alike on purpose: the matcher must separate them.
TRAPS = [
    ("Dupont", "Anne"), ("Dupont", "Jeanne"), ("Dupont", "Élodie"), ("Leroy", "Paul"), ("Leroyer", "Paul"),
    ("Martin", "Léa"), ("Martinez", "Léa"), ("Martin", "Léo"), ("Thomas", "Martin"), ("Martin", "Thomas"),
    ("Moulin", "Jean"), ("Collin", "Hugo"), ("Colin", "Hugo"), ("Dubois", "Julie"), ("Dubos", "Julie"),
]
TITLES = [
    "Collège Jean Moulin — Devoir surveillé n°3 de mathématiques",
    "Lycée Victor Hugo  Contrôle de physique-chimie  Durée : 1 h",
    "Brevet blanc — Épreuve de français",
    "Interrogation écrite d'histoire-géographie",
]
FONTS = ["helv", "tiro", "cour"]


def make_roster(size: int, rng: random.Random) -> list[RosterEntry]:
    """``size`` distinct students: the look-alike traps first, then random names."""
    pairs = list(dict.fromkeys(TRAPS))
    seen = set(pairs)
    while len(pairs) < size:
        pair = (rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES))
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return [RosterEntry(f"s{i:03d}", first, last) for i, (last, first) in enumerate(pairs[:size])]


def _ocr_typo(word: str, rng: random.Random) -> str:
    """One OCR-like error: a look-alike letter, a dropped letter or a doubled letter."""
    look_alike = {"O": "0", "I": "l", "L": "I", "E": "F", "M": "N", "N": "M", "U": "V", "C": "G", "B": "8",
                  "S": "5", "R": "P", "É": "E", "A": "À", "H": "N"}
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if not letters:
        return word
    i = rng.choice(letters)
    kind = rng.random()
    if kind < 0.5:
        ch = word[i]
        rep = look_alike.get(ch.upper(), "E" if ch.upper() != "E" else "F")
        return word[:i] + (rep if ch.isupper() else rep.lower()) + word[i + 1:]
    if kind < 0.8:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def make_header_text(entry: RosterEntry, rng: random.Random) -> str:
    """What an OCR engine could read from a printed-and-filled header of ``entry``'s copy."""
    last, first = entry.last_name, entry.first_name
    if rng.random() < 0.4:
        last, first = _strip_accents(last), _strip_accents(first)
    if rng.random() < 0.6:
        last = last.upper()
    if rng.random() < 0.2:
        first = first.upper()
    if rng.random() < 0.25:
        last = _ocr_typo(last, rng)
    elif rng.random() < 0.25:
        first = _ocr_typo(first, rng)
    if rng.random() < 0.2:
        first = first.replace("-", " " if rng.random() < 0.5 else "")
    layout = rng.random()
    if layout < 0.35:
        sep = rng.choice(["   ", " ", ""])
        line = f"NOM : {last}{sep}Prénom : {first}"
    elif layout < 0.5:
        line = f"NOM:{last}\nPrénom:{first}"
    elif layout < 0.65:
        line = f"Nom et prénom : {last} {first}"
    elif layout < 0.75:
        line = f"NOM : {first}   Prénom : {last}"  # the student swapped the boxes
    elif layout < 0.85:
        line = f"{first}{rng.choice([' ', ''])}{last}"
    else:
        line = f"{last}{rng.choice([' ', ''])}{first}"
    lines = [line]
    if rng.random() < 0.7:
        lines.insert(0, rng.choice(TITLES))
    if rng.random() < 0.7:
        lines.append(f"Classe : {rng.choice('3456')}{rng.choice('ABCD')}   Date : 12/03/2026")
    if rng.random() < 0.2:
        lines = [ln.replace(" : ", ":").replace(" ", "") if "NOM" in ln else ln for ln in lines]
    return "\n".join(lines)


# ---- candidate scorers (the variants compared to choose matching._base and its constants) ----

Base = Callable[[str, Sequence["matching._Keys"]], list[float]]


def _parts(text: str, keys: Sequence[matching._Keys]) -> list[float]:
    lasts = matching._scores(text, [k.last for k in keys])
    firsts = matching._scores(text, [k.first for k in keys])
    return [(len(k.last) * lasts[i] + len(k.first) * firsts[i]) / (len(k.last) + len(k.first))
            for i, k in enumerate(keys)]


def _whole(text: str, keys: Sequence[matching._Keys]) -> list[float]:
    a = matching._scores(text, [k.last_first for k in keys])
    b = matching._scores(text, [k.first_last for k in keys])
    return [max(x, y) for x, y in zip(a, b, strict=True)]


# label → (base view, outside-labels penalty, coverage weight)
VARIANTS: dict[str, tuple[Base, float, float]] = {
    "parts only": (_parts, 0.1, 0.0),
    "whole only": (_whole, 0.1, 0.0),
    "mean(parts, whole)": (matching._base, 0.1, 0.0),
    "mean(parts, whole), coverage 0.1": (matching._base, 0.1, 0.1),
    "mean(parts, whole), coverage 0.2 [chosen]": (matching._base, 0.1, 0.2),
    "mean(parts, whole), coverage 0.3": (matching._base, 0.1, 0.3),
    "mean(parts, whole), coverage 0.2, penalty 0.2": (matching._base, 0.2, 0.2),
    "parts, coverage 0.2": (_parts, 0.1, 0.2),
}


def _rank_with_plain(scorer: Callable[[str, str], float], text: str, roster: list[RosterEntry]) -> list[str]:
    """Rank with a plain rapidfuzz scorer over spaced normalised strings (the token-based baselines)."""
    clean = matching.normalise(text)
    scored = []
    for e in roster:
        key = matching.normalise(f"{e.last_name} {e.first_name}")
        scored.append((scorer(key, clean), e.student_id))
    scored.sort(reverse=True)
    return [sid for _, sid in scored]


def evaluate(copies: int, roster_size: int, seed: int) -> None:
    rng = random.Random(seed)
    roster = make_roster(roster_size, rng)
    by_id = {e.student_id: e for e in roster}
    cases = [(e.student_id, make_header_text(e, rng)) for e in (rng.choice(roster) for _ in range(copies))]
    # make sure the look-alikes are exercised
    cases += [(e.student_id, make_header_text(e, rng)) for e in roster[: len(TRAPS)] for _ in range(4)]
    print(f"{len(cases)} synthetic headers, roster of {len(roster)} (seed {seed})")

    saved = matching._base, matching.OUTSIDE_LABELS_PENALTY, matching.COVERAGE_WEIGHT
    for label, (base, penalty, weight) in VARIANTS.items():
        matching._base, matching.OUTSIDE_LABELS_PENALTY, matching.COVERAGE_WEIGHT = base, penalty, weight
        try:
            _report(label, cases, roster)
        finally:
            matching._base, matching.OUTSIDE_LABELS_PENALTY, matching.COVERAGE_WEIGHT = saved
    for label, plain in [("token_set_ratio (spaced)", fuzz.token_set_ratio),
                         ("WRatio (spaced)", fuzz.WRatio),
                         ("max(token_set_ratio, partial_ratio) (spaced)",
                          lambda a, b: max(fuzz.token_set_ratio(a, b), fuzz.partial_ratio(a, b)))]:
        top1 = sum(_rank_with_plain(plain, text, roster)[0] == sid for sid, text in cases)
        print(f"  {label:48s} top-1 {top1}/{len(cases)} = {top1 / len(cases):.1%}")

    misses = [(sid, text, rank_candidates(text, roster)) for sid, text in cases]
    misses = [m for m in misses if m[2][0].student_id != m[0]]
    for sid, text, sugg in misses[:8]:
        e = by_id[sid]
        print(f"    miss: {e.last_name} {e.first_name!r} <- {text!r}: "
              + ", ".join(f"{s.name} {s.score:.2f}" for s in sugg[:3]))


def _report(label: str, cases: list[tuple[str, str]], roster: list[RosterEntry]) -> None:
    top1 = top5 = 0
    margins = []
    ranked: dict[str, list] = {}
    truth: dict[str, str] = {}
    for n, (sid, text) in enumerate(cases):
        sugg = rank_candidates(text, roster)
        ids = [s.student_id for s in sugg]
        top1 += ids[0] == sid
        top5 += sid in ids
        true = next((s.score for s in sugg if s.student_id == sid), 0.0)
        best_other = max(s.score for s in sugg if s.student_id != sid)
        margins.append(true - best_other)
        ranked[f"c{n}"] = sugg
        truth[f"c{n}"] = sid
    print(f"  {label:48s} top-1 {top1}/{len(cases)} = {top1 / len(cases):.1%}  top-5 {top5 / len(cases):.1%}"
          f"  margin median {statistics.median(margins):+.3f}")
    for threshold, margin in [(0.8, 0.05), (0.85, 0.08), (0.9, 0.1)]:
        auto = [(cid, auto_match(s, threshold, margin)) for cid, s in ranked.items()]
        made = [(cid, sid) for cid, sid in auto if sid]
        wrong = sum(sid != truth[cid] for cid, sid in made)
        print(f"      auto_match t={threshold} m={margin}: {len(made)} auto ({len(made) / len(cases):.0%}),"
              f" {wrong} wrong")


def bench_speed(roster_size: int, seed: int, copies: int = 30) -> None:
    rng = random.Random(seed)
    roster = make_roster(roster_size, rng)
    texts = [make_header_text(rng.choice(roster), rng) for _ in range(copies)]
    rank_candidates(texts[0], roster)  # warm the key cache as a real batch would after its first copy
    best = float("inf")
    for _ in range(5):
        matching._keys.cache_clear()
        start = time.perf_counter()
        ranked = {f"c{i}": rank_candidates(t, roster) for i, t in enumerate(texts)}
        assign_one_to_one(ranked, 0.85, 0.08)
        best = min(best, time.perf_counter() - start)
    print(f"matching {copies} copies x {roster_size} students (rank + one-to-one, cold key cache): "
          f"{best * 1000:.1f} ms")


def render_header(last: str, first: str, *, fontsize: float = 24, fontname: str = "helv",
                  title: str | None = TITLES[0], dpi: int = 150) -> bytes:
    """A printed header crop (top 25 % of an A4 page) with the student's name, as 150 DPI JPEG bytes."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842 * 0.25)
    if title:
        page.insert_text((40, 45), title, fontsize=13, fontname=fontname)
    page.insert_text((40, 100), f"NOM : {last}   Prénom : {first}", fontsize=fontsize, fontname=fontname)
    page.insert_text((40, 160), "Classe : 3B        Date : 12/03/2026", fontsize=14, fontname=fontname)
    jpeg = page.get_pixmap(dpi=dpi).tobytes("jpeg", jpg_quality=80)
    doc.close()
    return jpeg


def bench_engine(names: int, roster_size: int, seed: int) -> None:
    from functions.ocr_engines import engines
    from functions.ocr_engines.engines import LocalOcrEngine

    rng = random.Random(seed)
    roster = make_roster(roster_size, rng)
    picked = rng.sample(roster, names)
    engine = LocalOcrEngine()
    images = [render_header(e.last_name.upper(), e.first_name, fontsize=rng.choice([20, 22, 24, 26, 28]),
                            fontname=FONTS[i % len(FONTS)]) for i, e in enumerate(picked)]
    start = time.perf_counter()
    engines._local_model()
    load = time.perf_counter() - start
    start = time.perf_counter()
    engine.read_text(images[0])
    first_read = time.perf_counter() - start
    timings, cpu, top1, exact_both = [], [], 0, 0
    ranked = {}
    for e, image in zip(picked, images, strict=True):
        start, start_cpu = time.perf_counter(), time.process_time()
        text = engine.read_text(image)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        sugg = rank_candidates(text, roster)
        ranked[e.student_id] = sugg
        top1 += sugg[0].student_id == e.student_id
        norm = matching.normalise(text).replace(" ", "")
        exact_both += all(matching.normalise(p).replace(" ", "") in norm for p in (e.last_name, e.first_name))
        if sugg[0].student_id != e.student_id:
            print(f"  miss: {e.last_name} {e.first_name} <- {text!r}")
    assigned = assign_one_to_one(ranked, 0.85, 0.08)
    right = sum(v == k for k, v in assigned.items())
    wrong = sum(v is not None and v != k for k, v in assigned.items())
    print(f"local OCR: model load {load:.2f} s, first read {first_read:.2f} s; warm: median "
          f"{statistics.median(timings):.2f} s, min {min(timings):.2f} s, max {max(timings):.2f} s a header "
          f"(CPU time, all threads: median {statistics.median(cpu):.2f} s)")
    print(f"both names read exactly {exact_both}/{names}; top-1 {top1}/{names}; one-to-one (t=0.85, m=0.08) "
          f"{right} right, {wrong} wrong, {names - right - wrong} left for the admin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["matching", "engine"])
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument("--names", type=int, default=30)
    parser.add_argument("--roster", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.what == "matching":
        evaluate(args.copies, args.roster, args.seed)
        bench_speed(args.roster, args.seed)
    else:
        bench_engine(args.names, args.roster, args.seed)


if __name__ == "__main__":
    main()
