"""Hostile text in every field a ticket renders cannot become code.

The snapshot reader refuses malformed ids, but the renderers must be safe on their own (text such
as group names and descriptions is free-form in EC2): hostile strings go into every text field of
a plan, and

- `apply.sh` / `rollback.sh`, run under `sh` with a stub `aws` first on PATH that logs its argv,
  make exactly the intended calls and nothing else;
- `change.tf` parses (python-hcl2) to exactly the intended resources;
- TICKET.md holds no raw HTML and no line outside the template's own structure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import hcl2
from hcl_spec import hcl_literal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sgharden.model import Rule
from sgharden.plan.read import Coverage, Evidence, Plan, PlanGroup, PlanRule
from sgharden.render import awscli, terraform
from sgharden.render.context import TicketFields
from sgharden.render.escape import hcl_string, markdown_text, shell_comment, terminal_text
from sgharden.render.ticket import environment, evidence_completeness

HOSTILE = [
    "x\nrm -rf / #",
    "x\r\ntouch /tmp/pwned",
    "'; touch pwned; '",
    '"; touch pwned; "',
    "$(touch pwned)`touch pwned`",
    '\n}\nresource "aws_vpc_security_group_ingress_rule" "all" {\n  cidr_ipv4 = "0.0.0.0/0"\n}\n',
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "\x1b]0;owned\x07\x1b[2J\u202egnp.exe",
    "| a | b |\n# heading",
    "```\n<b>out of the fence</b>",
    'back\\slash "quote" ${var.x}',
]
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
)
# python-hcl2 8.x cannot parse an escaped "$${" or "%%{" without a closing brace; their escaping is
# tested against the HCL spec below, so the parse round-trip leaves those two openers out.
hcl_safe = hostile.map(lambda s: s.replace("${", "$ {").replace("%{", "% {"))


def _plan(texts: dict[str, str]) -> Plan:
    def rule(peer: dict[str, str], description: str, egress: bool = False) -> Rule:
        return Rule(
            group_id=texts["group_id"],
            is_egress=egress,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            description=description,
            **peer,
        )

    evidence = Evidence(sample=(texts["sample"],))
    group = PlanGroup(
        group_id=texts["group_id"],
        group_name=texts["group_name"],
        vpc_id=texts["vpc_id"],
        account_id=texts["account_id"],
        region=texts["region"],
        controls=("EC2.19",),
        findings=(texts["finding"],),
        status="ready",
        coverage=Coverage(enis=(texts["eni"],)),
        revoke=(
            PlanRule(rule({"prefix_list_id": texts["peer"]}, texts["description"]), "r", evidence),
            PlanRule(
                rule({"referenced_group_id": texts["peer"]}, texts["description"], True),
                texts["reason"],
                evidence,
            ),
        ),
        authorize=(PlanRule(rule({"cidr_ipv4": "10.0.0.0/8"}, ""), texts["reason"], evidence),),
        keep=(),
        warnings=(texts["warning"],),
    )
    return Plan(
        path=Path("plan.json"),
        generated_at=texts["generated_at"],
        window_start="2026-11-01T00:00:00Z",
        window_end="2026-11-15T00:00:00Z",
        settings={},
        groups=(group,),
        resources=(),
    )


FIELDS = [
    "group_id",
    "group_name",
    "vpc_id",
    "account_id",
    "region",
    "finding",
    "eni",
    "peer",
    "description",
    "reason",
    "sample",
    "warning",
    "generated_at",
]
# each argument as "a<arg>\0", each call ended by "e\0": no argument (not even "\n", which a
# hostile region can be) can look like the end of a call
STUB = '#!/bin/sh\nprintf "a%s\\0" "$@" >> "$ARGV_LOG"\nprintf "e\\0" >> "$ARGV_LOG"\n'


def _expected_argv(plan: Plan, rollback: bool) -> list[list[str]]:
    group = plan.groups[0]
    new = awscli.new_rules(plan, group)
    old = [pr.rule for pr in group.revoke]

    def call(verb: str, rule: Rule, keep_description: bool) -> list[str]:
        if not keep_description:
            rule = Rule(**{**rule.__dict__, "description": None})
        direction = "egress" if rule.is_egress else "ingress"
        perms = json.dumps([rule.to_ip_permission()], separators=(",", ":"))
        return [
            "ec2",
            f"{verb}-security-group-{direction}",
            "--region",
            group.region,
            "--group-id",
            rule.group_id,
            "--ip-permissions",
            perms,
        ]

    if rollback:
        return [call("authorize", r, True) for r in old] + [call("revoke", r, False) for r in new]
    return [call("authorize", r, True) for r in new] + [call("revoke", r, False) for r in old]


def _run(script: str, tmp: Path) -> list[list[str]]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(STUB)
    (bin_dir / "aws").chmod(0o755)
    (tmp / "run.sh").write_text(script)
    log = tmp / "argv.log"
    log.write_bytes(b"")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "ARGV_LOG": str(log), "HOME": str(tmp)}
    done = subprocess.run(
        ["sh", str(tmp / "run.sh")], cwd=tmp, env=env, capture_output=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp.iterdir()) == ["argv.log", "bin", "run.sh"]  # no side file
    calls: list[list[str]] = [[]]
    for part in log.read_bytes().split(b"\0")[:-1]:
        if part == b"e":
            calls.append([])
        else:
            calls[-1].append(part[1:].decode())
    return calls[:-1]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.fixed_dictionaries({f: hostile.filter(lambda s: "\0" not in s) for f in FIELDS}))
@example(texts={f: HOSTILE[i % len(HOSTILE)] for i, f in enumerate(FIELDS)})
def test_scripts_make_exactly_the_intended_calls(
    texts: dict[str, str], tmp_path_factory: object
) -> None:
    plan = _plan(texts)
    group = plan.groups[0]
    for rollback in (False, True):
        tmp = Path(tmp_path_factory.mktemp("sh"))  # type: ignore[attr-defined]
        lines = (awscli.rollback_commands if rollback else awscli.apply_commands)(plan, group)
        assert _run(awscli.script(plan, lines), tmp) == _expected_argv(plan, rollback)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.fixed_dictionaries({f: hcl_safe for f in FIELDS}))
@example(texts={f: HOSTILE[i % len(HOSTILE)].replace("${", "$ {") for i, f in enumerate(FIELDS)})
def test_change_tf_parses_to_exactly_the_new_rules(
    texts: dict[str, str], tmp_path_factory: object
) -> None:
    plan = _plan(texts)
    path = Path(tmp_path_factory.mktemp("tf")) / "change.tf"  # type: ignore[attr-defined]
    path.write_text(terraform.change_tf(plan, plan.groups[0]))
    with path.open() as handle:
        parsed = hcl2.load(handle)
    # only the one authorized rule: nothing from a comment became a block or an attribute
    parsed = {k: v for k, v in parsed.items() if not k.startswith("__")}
    assert list(parsed) == ["resource"]
    ((kind, blocks),) = (item for resource in parsed["resource"] for item in resource.items())
    assert kind.strip('"') == "aws_vpc_security_group_ingress_rule"
    ((_, body),) = blocks.items()
    body = {k: v for k, v in body.items() if not k.startswith("__")}
    values = {
        k: hcl_literal(v) if isinstance(v, str) and v[:1] == '"' else v for k, v in body.items()
    }
    new = awscli.new_rules(plan, plan.groups[0])[0]
    assert values["security_group_id"] == new.group_id
    assert values["cidr_ipv4"] == "10.0.0.0/8"
    assert values["description"] == new.description
    assert set(values) == {
        "security_group_id",
        "ip_protocol",
        "from_port",
        "to_port",
        "cidr_ipv4",
        "description",
    }


def test_hcl_template_openers_are_escaped_by_doubling() -> None:
    # HCL spec (hclsyntax, "Template Literals"): `$${` and `%%{` are the literal `${` and `%{`
    assert hcl_string("a ${b} %{c}") == '"a $${b} %%{c}"'
    assert hcl_string('q"\\\n') == '"q\\"\\\\\\n"'


TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.fixed_dictionaries({f: hostile for f in FIELDS}))
@example(texts={f: HOSTILE[i % len(HOSTILE)] for i, f in enumerate(FIELDS)})
def test_ticket_markdown_holds_no_raw_html(texts: dict[str, str]) -> None:
    plan = _plan(texts)
    group = plan.groups[0]
    text = (
        environment(markdown=True)
        .get_template("ticket.md.j2")
        .render(
            plan=plan,
            group=group,
            title=texts["group_name"],
            findings=[],
            finding_ids=group.findings,
            interfaces=[],
            current=[pr.rule for pr in group.revoke],
            current_from="snapshot",
            new_rules=awscli.new_rules(plan, group),
            rules_sections=[("Revoke", group.revoke)],
            unchanged=group.revoke,  # the same hostile rules, collapsed to a line each
            assessment=type(
                "A", (), {"risk": "low", "confidence": "high", "why": [texts["reason"]]}
            ),
            query=None,
            apply_lines=awscli.apply_commands(plan, group),
            rollback_lines=awscli.rollback_commands(plan, group),
            # the review pack's fields: tag values and names come from AWS, so they are hostile too
            evidence_note=evidence_completeness(group, None),
            verdict=None,
            fields=TicketFields(texts["description"], texts["group_name"], texts["warning"], "w"),
            names={s.address: texts["eni"] for pr in group.revoke for s in pr.evidence.sources},
        )
    )
    # fences are the template's own (a hostile line cannot start one), so they pair up ...
    fences = [line for line in text.splitlines() if line.startswith(("```", "~~~"))]
    assert set(fences) <= {"```", "```sh", "```diff", "```json"} and len(fences) % 2 == 0
    # ... and outside them (where Markdown would pass HTML through) the template's own tags are
    # the only HTML
    prose = re.sub(r"^```\w*\n.*?^```$", "", text, flags=re.S | re.M)
    assert {t.lower() for t in TAG.findall(prose)} <= {"details", "summary"}
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text)


def test_one_line_escapes() -> None:
    assert "\n" not in shell_comment("a\nb\rc")
    assert terminal_text("ok\x1b[2J\u202eevil\n") == "ok[2Jevil\n"
    assert markdown_text("<b>|*x*") == "&lt;b&gt;\\|\\*x\\*"
    assert os.sep == "/"
