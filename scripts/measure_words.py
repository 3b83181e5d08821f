"""Measure the word normaliser and the blocklist in a fresh process: the memory and time the dictionaries cost
to load, and what one lemmatisation costs cold (simplemma) and cached. The figures in docs/performance.md come
from this script.

    python scripts/measure_words.py [--words 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time

import psutil


def rss_mib(process: psutil.Process) -> float:
    gc.collect()
    return float(process.memory_info().rss) / 2**20


def sample_words(languages: tuple[str, ...], count: int, seed: int) -> list[str]:
    """`count` distinct lower-case words per language, drawn from simplemma's own dictionaries in a child
    process (so that reading them does not count in this one's memory)."""
    code = (
        "import json, random, sys\n"
        "from simplemma.strategies.dictionaries import StreamDictionaryFactory\n"
        "rng = random.Random(int(sys.argv[2]))\n"
        "out = []\n"
        "for language in sys.argv[3:]:\n"
        "    keys = sorted(k for k in StreamDictionaryFactory(1).get_dictionary(language) if k.isalpha())\n"
        "    out += [k.casefold() for k in rng.sample(keys, int(sys.argv[1]))]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(count), str(seed), *languages], capture_output=True, text=True, check=True
    )
    return list(dict.fromkeys(json.loads(done.stdout)))


def per_call_us(calls: list[float]) -> str:
    ordered = sorted(calls)
    p99 = ordered[int(len(ordered) * 0.99)]
    return f"median {statistics.median(ordered):.1f} µs, p99 {p99:.1f} µs ({len(ordered)} calls)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3000, help="distinct words per language for the cold run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    process = psutil.Process()

    from livepoll import words
    from livepoll.blocklist import VERDICT_CACHE_SIZE, Blocklist

    rng = random.Random(args.seed)
    sample = sample_words(words.LANGUAGES, args.words, args.seed)
    rng.shuffle(sample)
    before = rss_mib(process)
    wall, cpu = time.perf_counter(), time.process_time()
    words.load()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    loaded = rss_mib(process)
    print(f"load pl+uk+en: +{loaded - before:.1f} MiB RSS, {wall:.2f} s wall, {cpu:.2f} s CPU")

    cold: list[float] = []
    for word in sample:
        start = time.perf_counter_ns()
        words.lemma(word)
        cold.append((time.perf_counter_ns() - start) / 1000)
    print(f"lemma, cold (simplemma, known words of pl/uk/en): {per_call_us(cold)}")

    unknown = ["".join(rng.choice("abcdefghijklmnoprstuwyz") for _ in range(9)) for _ in range(args.words)]
    cold_unknown: list[float] = []
    for word in unknown:
        start = time.perf_counter_ns()
        words.lemma(word)
        cold_unknown.append((time.perf_counter_ns() - start) / 1000)
    print(f"lemma, cold (unknown Latin words, every strategy tried): {per_call_us(cold_unknown)}")

    batch = sample[:1000]
    cached: list[float] = []
    for _ in range(50):
        start = time.perf_counter_ns()
        for word in batch:
            words.lemma(word)
        cached.append((time.perf_counter_ns() - start) / 1000 / len(batch))
    print(f"lemma, cached: median {statistics.median(cached):.2f} µs per call (50 batches of {len(batch)})")

    entries = ["Współpracą", "rada miasta", "Громади", "cities", "miasto", "społeczno-kulturalnej"]
    for entry in entries:
        words.normalize_entry(entry)
    repeated: list[float] = []
    for _ in range(50):
        start = time.perf_counter_ns()
        for _ in range(200):
            for entry in entries:
                words.normalize_entry(entry)
        repeated.append((time.perf_counter_ns() - start) / 1000 / (200 * len(entries)))
    print(f"normalize_entry, words cached: median {statistics.median(repeated):.2f} µs per entry")

    filler = [f"{word}{index}" for index, word in enumerate(rng.choices(sample, k=words.LEMMA_CACHE_SIZE))]
    for word in filler:
        words.lemma(word)
    full = rss_mib(process)
    print(f"lemma cache full ({words.LEMMA_CACHE_SIZE} words): +{full - loaded:.1f} MiB over the loaded dictionaries")

    wall = time.perf_counter()
    blocklist = Blocklist.load()
    print(f"blocklist load: {(time.perf_counter() - wall) * 1000:.1f} ms, {len(blocklist.words)} words")
    text = (
        "Chciałbym zapytać, jak miasto planuje wspierać organizacje pozarządowe w integracji migrantów z Ukrainy "
        "w przyszłym roku? Czy będą konsultacje społeczne z mieszkańcami dzielnic, radami osiedli i wspólnotami "
        "mieszkaniowymi, a także z nauczycielami szkół, do których chodzą dzieci z rodzin migranckich? Як громада "
        "може допомогти з житлом і роботою для нових мешканців міста, і хто за це відповідає?"
    )
    words.lemma_cache_clear()
    start = time.perf_counter_ns()
    blocklist.blocks(text)
    cold_text = (time.perf_counter_ns() - start) / 1e6
    start = time.perf_counter_ns()
    for _ in range(100):
        blocklist.blocks(text)
    warm_text = (time.perf_counter_ns() - start) / 1e6 / 100
    print(f"blocks() on {len(text)} characters: {cold_text:.1f} ms cold, {warm_text:.2f} ms with words cached")
    start = time.perf_counter_ns()
    for _ in range(10_000):
        blocklist.blocks("Współpraca")
    print(f"blocks() on one cached word: {(time.perf_counter_ns() - start) / 1000 / 10_000:.2f} µs")
    filled = rss_mib(process)
    for word in filler[:VERDICT_CACHE_SIZE]:
        blocklist.blocks(word)
    total = rss_mib(process)
    print(f"blocklist verdict cache full ({VERDICT_CACHE_SIZE} words): +{total - filled:.1f} MiB")
    print(f"process total over start (dictionaries, both caches full, blocklist): +{total - before:.1f} MiB")


if __name__ == "__main__":
    main()
