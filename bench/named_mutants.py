"""Issue 16's named survivors, each applied by hand to a checkout, its test run, the file restored.

    .venv/bin/python bench/named_mutants.py [CHECKOUT]     # default: this checkout

Each row: the mutant, the test written for it, the test's result on the code and on the mutant.
A mutant the test does not catch prints NOT CAUGHT and the exit status is 1. The checkout must be
clean (the script edits one file at a time and writes it back); its .venv runs the tests.
"""

import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
M = [
    (
        "1 widest_prefix_v4 one bit wider",
        "src/sgharden/analysis/decide.py",
        "else self.options.widest_prefix_v4",
        "else self.options.widest_prefix_v4 - 1",
        "tests/test_planner_edges.py::test_sources_that_fit_only_in_a_slash_23_keep_the_rule",
    ),
    (
        "2 jinja2 autoescape off",
        "src/sgharden/render/ticket.py",
        "autoescape=select_autoescape(",
        "autoescape=False and select_autoescape(",
        "tests/test_change_safety.py::test_report_escapes_group_name_and_reason",
    ),
    (
        "3 verify counts probes as former users",
        "src/sgharden/change/verify.py",
        "return {c.remote_addr for c in found if not c.is_probe}",
        "return {c.remote_addr for c in found}",
        "tests/test_verify_rules.py::test_every_real_source_of_the_window_is_a_former_user_and_probes_are_not",
    ),
    (
        "4 REJECT-only flow log counted as coverage",
        "src/sgharden/targets.py",
        'fl.traffic_type.upper() != "REJECT"',
        'fl.traffic_type.upper() != "NONE"',
        "tests/test_planner_edges.py::test_a_reject_only_flow_log_is_not_coverage",
    ),
    (
        "5 apply's kept-rule-missing drift check off",
        "src/sgharden/act/apply.py",
        '        if pr.rule.key() not in live_by_key:\n            drift.append(f"kept rule missing',
        '        if False:\n            drift.append(f"kept rule missing',
        "tests/test_change_safety.py::test_apply_refuses_and_changes_nothing_when_a_kept_rule_is_gone",
    ),
    (
        "6 rollback revokes rules others added",
        "src/sgharden/act/rollback.py",
        "k not in before_keys and k in added_keys",
        "k not in before_keys",
        "tests/test_change_safety.py::test_rollback_leaves_a_rule_added_after_the_apply_and_reports_it",
    ),
    (
        "7 EC2.18 port public without internet source",
        "src/sgharden/analysis/options.py",
        "if authorized and use.internet_sources:",
        "if authorized and use.sources:",
        "tests/test_planner_edges.py::test_world_open_443_used_only_from_the_vpc_is_narrowed_not_kept_public",
    ),
    (
        "8 listener direction rule removed",
        "sql/rollup_batch.sql",
        "            WHEN l.port IS NOT NULL THEN 'inbound'\n",
        "",
        "tests/test_planner_edges.py::test_a_learned_listener_keeps_flagless_intervals_on_its_service_port",
    ),
    (
        "L1 direction = 'inbound' filter dropped",
        "sql/inbound_use.sql",
        "WHERE direction = 'inbound' AND hour >= start_at",
        "WHERE hour >= start_at",
        "tests/test_planner_edges.py::test_connections_the_interface_opened_to_a_port_in_the_rule_are_not_use",
    ),
    (
        "L2 rules restored without descriptions",
        "src/sgharden/act/live.py",
        "IpPermissions=[r.to_ip_permission() for r in chosen],",
        "IpPermissions=[Rule(**{**r.__dict__, 'description': None}).to_ip_permission() for r in chosen],",
        "tests/test_change_safety.py::test_rollback_restores_a_revoked_rule_with_its_description",
    ),
    (
        "L3 ARCHIVED findings kept",
        "src/sgharden/findings.py",
        ' or f.record_state != "ACTIVE"',
        "",
        "tests/test_findings.py::test_an_archived_finding_alone_is_out_of_scope",
    ),
]


def run(test: str) -> tuple[int, str]:
    command = [str(root / ".venv/bin/python"), "-m", "pytest", "-q", "-n", "0"]
    p = subprocess.run(
        [*command, "-p", "no:cacheprovider", test], cwd=root, capture_output=True, text=True
    )
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, lines[-1] if lines else f"exit {p.returncode}"


dirty = subprocess.run(
    ["git", "status", "--porcelain", "src", "sql"], cwd=root, capture_output=True, text=True
).stdout
if dirty:
    sys.exit(f"{root}: src/ or sql/ has changes; run this on a clean checkout")
missed = 0
print("| mutant | test | on the code | on the mutant |\n|---|---|---|---|")
for name, f, old, new, test in M:
    path = root / f
    text = path.read_text()
    assert text.count(old) == 1, (name, text.count(old))
    rc0, s0 = run(test)
    path.write_text(text.replace(old, new))
    try:
        rc1, s1 = run(test)
    finally:
        path.write_text(text)
    ok = rc0 == 0 and rc1 != 0
    missed += not ok
    verdict = "(caught)" if ok else "**NOT CAUGHT**"
    print(f"| {name} | `{test.split('::')[1]}` | {s0} | {s1} {verdict} |", flush=True)
sys.exit(1 if missed else 0)
