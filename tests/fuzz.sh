#!/bin/sh
# make fuzz: libFuzzer on the whole pipeline (tests/fuzz_pipeline.c).
#
#   sh tests/fuzz.sh BUILD-DIR      with BUILD-DIR/fuzz_pipeline built
#
# The corpus (BUILD-DIR/corpus) is seeded with every example, every golden
# and acceptance problem, and the problems written inline in the unit tests;
# it is kept between runs, so each run starts where the last one stopped.
# The run lasts FUZZ_SECONDS with FUZZ_JOBS processes (libFuzzer's fork
# mode), goes on after a finding, and copies every crash, timeout, leak or
# out-of-memory input into tests/fuzz-regressions/, which `make test` replays.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build/fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
shared=${SHARED:-$top/../shared}
fuzzer="$dir/fuzz_pipeline"
corpus="$dir/corpus"
artifacts="$dir/artifacts"
regress="$top/tests/fuzz-regressions"

[ -x "$fuzzer" ] || { echo "fuzz.sh: $fuzzer is not built (make fuzz)" >&2; exit 2; }
mkdir -p "$corpus" "$artifacts" "$regress"

# seeds: whole problems, each a file named after where it came from
for f in "$top"/examples/*.sg "$top"/tests/golden/*.sg "$regress"/* "$top"/tests/smith-regressions/*.sg \
    "$top"/tests/smith-regressions/pending/*.sg; do
    [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$f")"
done
for f in "$shared"/acceptance/cases/*/problem.sg; do
    [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$(dirname "$f")").sg"
done
# the problems the unit tests write inline as C strings ("x ∈ ℝ^n\nL = …")
if command -v python3 >/dev/null 2>&1; then
    python3 - "$corpus" "$top"/tests/test_*.c <<'PY'
import re, sys, hashlib, os, warnings
warnings.simplefilter("ignore", DeprecationWarning)  # C's \? is no Python escape
out = sys.argv[1]
lit = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8").read()
    # adjacent literals are one string, as in C
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
        s = "".join(lit.findall(m.group(0)))
        if "\\n" not in s:
            continue
        try:
            b = s.encode("utf-8").decode("unicode_escape").encode("latin-1")
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        name = "unit-" + hashlib.sha1(b).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
PY
fi
echo "fuzz: $(ls "$corpus" | wc -l) inputs in $corpus; fuzzing for ${seconds}s with $jobs jobs"

"$fuzzer" "$corpus" -dict="$top/tests/fuzz.dict" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 |
    tee "$dir/fuzz.log" | grep -E '^#[0-9]+: |^INFO: |ERROR|fuzz target exited|stat::' | tail -n 40

found=0 # an artifact moves to tests/fuzz-regressions/ once
for a in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    [ -f "$a" ] || continue
    b=$(basename "$a")
    if [ ! -f "$regress/$b" ]; then
        mv "$a" "$regress/$b"
        echo "fuzz: FOUND $b: moved to tests/fuzz-regressions/$b (make test replays it)"
        found=$((found + 1))
    fi
done
[ $found = 0 ] && echo "fuzz: nothing new found (log: $dir/fuzz.log)"
[ $found = 0 ]
