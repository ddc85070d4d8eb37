#!/usr/bin/env bash
# The suite from a fresh clone, N times in a row, each run with a different hypothesis seed.
# Catches what a warm worktree hides: files that only exist untracked, state left by an earlier
# run, and examples that fail only for some seeds. Not part of CI (each run is the whole suite).
#
#   bench/fresh_clone_runs.sh                    # 10 runs, seeds 1..10, the README's command
#   bench/fresh_clone_runs.sh 3 101              # 3 runs, seeds 101, 102, 103
#   bench/fresh_clone_runs.sh 10 1 tests/test_planner_properties.py tests/test_injection.py
#   FRESH_REF=main bench/fresh_clone_runs.sh     # clone another branch or commit
#
# Arguments: [RUNS [FIRST_SEED [PYTEST_ARG...]]]. Each run gets one seed, passed to hypothesis
# (--hypothesis-seed) and, when pytest-randomly is installed, to it as well (--randomly-seed): with
# a fixed seed a failure can be replayed exactly. The clone goes into a temporary
# directory beside the checkout, with the checkout's ../shared linked beside it as in CI. One line per run goes to
# stdout and to $FRESH_LOG (default: results.tsv in the clone's parent temp dir); each run's
# output is kept beside it. Exit status: the number of failed runs (0 = all passed).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}
first_seed=${2:-1}
shift $(($# < 2 ? $# : 2))
pytest_args=("$@")
ref=${FRESH_REF:-$(git -C "$repo" rev-parse HEAD)}
python3=${PYTHON3:-python3}

base=$(mktemp -d "$(dirname "$repo")/sgharden-fresh.XXXXXX")
log=${FRESH_LOG:-$base/results.tsv}
clone=$base/sgharden
# CI lays shared/ beside the clone: do the same, so the tests read ../shared/vectors (and
# test_vectors_copy compares the vendored copy with it) instead of skipping
shared=$(dirname "$repo")/shared
[[ -d $shared ]] && ln -s "$shared" "$base/shared"
echo "fresh-clone runs: $base (ref $ref)" >&2
git clone -q --no-hardlinks "$repo" "$clone"
git -C "$clone" checkout -q --detach "$ref"
# The README's install, in the clone; the suite's own files only, nothing from the worktree.
(cd "$clone" && "$python3" -m venv .venv && .venv/bin/pip install -q '.[test]') >"$base/install.log" 2>&1 ||
    { echo "install failed: $base/install.log" >&2; exit 100; }

randomly=0
"$clone/.venv/bin/python" -c 'import pytest_randomly' 2>/dev/null && randomly=1

printf 'run\tseed\tresult\tseconds\tsummary\n' | tee "$log"
failed=0
for ((i = 0; i < runs; i++)); do
    seed=$((first_seed + i))
    seed_args=(--hypothesis-seed="$seed")
    ((randomly)) && seed_args+=(--randomly-seed="$seed")
    out=$base/run-$((i + 1))-seed-$seed.log
    start=$(date +%s)
    # a fresh state each run: no pytest cache, no hypothesis example database from the last run
    rm -rf "$clone/.pytest_cache" "$clone/.hypothesis"
    # the command heads its log: a failure is replayed by running it again in the clone
    echo "+ .venv/bin/python -m pytest ${seed_args[*]} ${pytest_args[*]}" >"$out"
    (cd "$clone" && .venv/bin/python -m pytest "${seed_args[@]}" "${pytest_args[@]}") >>"$out" 2>&1
    rc=$?
    seconds=$(($(date +%s) - start))
    summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|(passed|failed|error).* in [0-9.]+s' "$out" | tail -1 | tr -d '=' | xargs)
    if ((rc == 0)); then result=pass; else result="FAIL(rc=$rc)"; failed=$((failed + 1)); fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$((i + 1))" "$seed" "$result" "$seconds" "$summary" | tee -a "$log"
done
echo "fresh-clone runs: $failed of $runs failed; logs in $base" >&2
exit "$failed"
