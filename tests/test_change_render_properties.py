"""Property tests of what tickets hand to other tools: Terraform that parses to the same rule,
AWS CLI arguments that the shell gives back intact, descriptions EC2 accepts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import hcl2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sgharden.change.awscli import _permission_command
from sgharden.change.rules import DESCRIPTION_MAX, rule_description
from sgharden.change.terraform import rule_block
from sgharden.model import Rule

ports = st.integers(min_value=0, max_value=65535)
ipv4 = st.ip_addresses(v=4).map(lambda a: f"{a}/32")
ipv6 = st.ip_addresses(v=6).map(lambda a: f"{a}/128")
text = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs",)), max_size=60
)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    protocol = draw(st.sampled_from(["tcp", "udp", "-1", "icmp"]))
    low = draw(ports)
    high = draw(st.integers(min_value=low, max_value=65535))
    peer = draw(
        st.sampled_from(["cidr_ipv4", "cidr_ipv6", "referenced_group_id", "prefix_list_id"])
    )
    value = {
        "cidr_ipv4": draw(ipv4),
        "cidr_ipv6": draw(ipv6),
        "referenced_group_id": "sg-" + draw(st.text("0123456789abcdef", min_size=8, max_size=17)),
        "prefix_list_id": "pl-" + draw(st.text("0123456789abcdef", min_size=8, max_size=17)),
    }[peer]
    return Rule(
        group_id="sg-0123456789abcdef0",
        is_egress=draw(st.booleans()),
        ip_protocol=protocol,
        from_port=None if protocol == "-1" else low,
        to_port=None if protocol == "-1" else high,
        description=draw(st.one_of(st.none(), text)),
        **{peer: value},
    )


def unquote(value: object) -> object:
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return json.loads(value)
    return value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rule=rules())
@example(
    rule=Rule(
        "sg-0123456789abcdef0",
        False,
        "tcp",
        22,
        22,
        cidr_ipv4="10.0.0.0/8",
        description='a ${var.b} %{if c} "quoted" back\\slash $${d}',
    )
)
def test_terraform_block_parses_back_to_the_rule(rule: Rule, tmp_path_factory: object) -> None:
    path = Path(tmp_path_factory.mktemp("tf")) / "rule.tf"  # type: ignore[attr-defined]
    path.write_text("\n".join(rule_block(rule)) + "\n")
    with path.open() as handle:
        parsed = hcl2.load(handle)
    ((kind, blocks),) = parsed["resource"][0].items()
    ((name, body),) = blocks.items()
    body = {k: unquote(v) for k, v in body.items() if not k.startswith("__")}
    assert (
        unquote(kind) == f"aws_vpc_security_group_{'egress' if rule.is_egress else 'ingress'}_rule"
    )
    assert re.fullmatch(r"[a-z][a-z0-9_]*", str(unquote(name)))
    assert body["security_group_id"] == rule.group_id and body["ip_protocol"] == rule.ip_protocol
    if rule.protocol == -1:
        assert "from_port" not in body
    else:
        assert (body["from_port"], body["to_port"]) == (rule.from_port, rule.to_port)
    argument = {
        "CidrIpv4": "cidr_ipv4",
        "CidrIpv6": "cidr_ipv6",
        "ReferencedGroupId": "referenced_security_group_id",
        "PrefixListId": "prefix_list_id",
    }[rule.peer_kind]
    assert body[argument] == rule.peer
    if rule.description:
        # HCL's own escapes: `$${` and `%%{` are literal `${` and `%{` to Terraform
        assert (
            str(body["description"]).replace("$${", "${").replace("%%{", "%{") == rule.description
        )


@settings(max_examples=100, deadline=None)
@given(rule=rules())
def test_cli_arguments_survive_the_shell(rule: Rule) -> None:
    words = shlex.split(_permission_command("authorize", rule, "us-east-1"))
    assert words[:3] == [
        "aws",
        "ec2",
        f"authorize-security-group-{'egress' if rule.is_egress else 'ingress'}",
    ]
    assert words[words.index("--group-id") + 1] == rule.group_id
    assert json.loads(words[words.index("--ip-permissions") + 1]) == [rule.to_ip_permission()]


@given(label=text, reason=text)
def test_descriptions_are_what_ec2_accepts(label: str, reason: str) -> None:
    out = rule_description(label, reason)
    assert len(out) <= DESCRIPTION_MAX
    assert re.fullmatch(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*", out)
