"""HCL quoted strings decoded by the specification, for tests that check generated Terraform."""

from __future__ import annotations

import re

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def hcl_literal(quoted: str) -> str:
    """The value of a quoted HCL string that must hold no template, decoded as the HCL native
    syntax specification says (hclsyntax spec.md, "Template Literals" and "Quoted Templates"):
    escapes `\\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN`, `$${` is a literal `${` and `%%{` a literal
    `%{`; an unescaped `${`/`%{` (a template), a bare `"`, a newline or any other backslash escape
    is an error. Written here, independent of any HCL parser, because python-hcl2 cannot read
    every valid escape (see test_python_hcl2_cannot_read_a_template_escape_without_a_brace)."""
    assert len(quoted) >= 2 and quoted[0] == quoted[-1] == '"', quoted
    body, out, i = quoted[1:-1], [], 0
    while i < len(body):
        if body.startswith(("$${", "%%{"), i):
            out.append(body[i + 1 : i + 3])
            i += 3
        elif body.startswith(("${", "%{"), i):
            raise AssertionError(f"unescaped template sequence at {i} in {quoted!r}")
        elif body[i] == "\\":
            kind = body[i + 1 : i + 2]
            if kind in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[kind])
                i += 2
            elif kind in ("u", "U"):
                width = 4 if kind == "u" else 8
                digits = body[i + 2 : i + 2 + width]
                assert re.fullmatch(f"[0-9a-fA-F]{{{width}}}", digits), quoted
                out.append(chr(int(digits, 16)))
                i += 2 + width
            else:
                raise AssertionError(f"escape HCL does not know at {i} in {quoted!r}")
        else:
            assert body[i] not in '"\n\r', f"bare {body[i]!r} at {i} in {quoted!r}"
            out.append(body[i])
            i += 1
    return "".join(out)
