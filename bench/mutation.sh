#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the modules that decide and act: src/sgharden/analysis/ (the
# planner, matching, coverage, rule use), src/sgharden/targets.py (which ENIs a finding means),
# src/sgharden/act/ (apply, rollback, stage, promote: the AWS writes) and src/sgharden/change/
# (replay, verify, soak: the change judged on flow data). Not part of CI: hours on 2 cores.
#
#   bench/mutation.sh                                   # every module named above
#   bench/mutation.sh src/sgharden/analysis/prefixes.py -- tests/test_planner.py
#   MUTATION_JOBS=1 bench/mutation.sh MODULE... [-- TEST_FILE...]
#   MUTATION_NAMES='sgharden.act.apply.x_group_change*' bench/mutation.sh ...  # some functions
#   MUTATION_TIMEOUT=1200 bench/mutation.sh ...   # stop after 20 minutes, count what was reached
#
# Modules before `--` are mutated; test files after it are the tests mutmut may run (default: all
# of tests/; mutmut then runs, per mutant, only the tests that executed the mutated function).
# It works on a copy of the checkout's tracked files (mutmut writes mutants/ beside the source),
# so the worktree is never touched. Needs the `mutation` extra: pip install -e '.[test,mutation]'.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
jobs=${MUTATION_JOBS:-2}

modules=()
tests=()
while (($#)); do
    if [[ $1 == -- ]]; then shift; tests=("$@"); break; fi
    modules+=("$1"); shift
done
((${#modules[@]})) || modules=(src/sgharden/analysis/ src/sgharden/targets.py src/sgharden/act/ src/sgharden/change/)
((${#tests[@]})) || tests=(tests/)

work=${MUTATION_DIR:-$(mktemp -d -t sgharden-mutation.XXXXXX)}
mkdir -p "$work"
echo "mutation: working copy in $work" >&2
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
    (cd "$work" && tar -xf -)

{
    echo "[mutmut]"
    # the whole package is copied (it must import); only the chosen modules are mutated
    echo "source_paths="
    echo "    src"
    echo "only_mutate="
    for m in "${modules[@]}"; do
        if [[ $m == *.py ]]; then echo "    $m"; else echo "    ${m%/}/*.py"; fi
    done
    echo "pytest_add_cli_args_test_selection="
    printf '    %s\n' "${tests[@]}"
    # the queries, the demo sample and the test vectors are read from beside the source
    echo "also_copy="
    printf '    %s\n' sql samples tests
    echo "pytest_add_cli_args="
    # one process: mutmut runs and times the tests itself (pytest-xdist's -n auto is in addopts)
    printf '    %s\n' -p no:randomly -q -n 0
} >"$work/setup.cfg"

cd "$work"
# made before Python starts: a sys.path entry that does not exist yet is skipped for good
mkdir -p "$work/mutants/src"
# the copy's src/ must shadow the editable install's path to the worktree
export PYTHONPATH="$work/mutants/src${PYTHONPATH:+:$PYTHONPATH}"
# MUTATION_NAMES: mutant name patterns (space-separated) to run instead of all of them
read -r -a names <<<"${MUTATION_NAMES:-}"
# MUTATION_TIMEOUT (seconds): stop mutmut then, and still count what it reached
limit=()
[[ -n ${MUTATION_TIMEOUT:-} ]] && limit=(timeout --kill-after=60 "$MUTATION_TIMEOUT")
"${limit[@]}" "$python" -m mutmut run --max-children "$jobs" "${names[@]}" || true
"$python" -m mutmut results --all true >"$work/results.txt" || true
"$python" - "$work/results.txt" <<'PY'
import collections, sys
counts = collections.Counter()
for line in open(sys.argv[1]):
    if ":" in line:
        counts[line.rsplit(":", 1)[1].strip()] += 1
total = sum(counts.values())
killed = counts.get("killed", 0) + counts.get("timeout", 0)
print(dict(counts))
if total:
    print(f"killed {killed}/{total} = {100 * killed / total:.1f}% (timeouts count as killed)")
run = killed + counts.get("survived", 0)
if run != total and run:
    # "not checked" (stopped by MUTATION_TIMEOUT) and "no tests" (no selected test reaches it)
    print(f"killed {killed}/{run} = {100 * killed / run:.1f}% of the mutants run")
PY
echo "survivors: cd $work && $python -m mutmut results; $python -m mutmut show NAME" >&2
