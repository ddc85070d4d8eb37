"""Escaping, one function per output language: the only way untrusted text reaches an output.

Every byte of a group name, description, tag or id came from someone with EC2 access (or a
hand-edited snapshot), so each renderer passes such text through the function for its language:

- shell: `shell_arg` (an argument, `shlex.quote`) and `shell_comment` (one line, no control chars);
- Terraform/HCL: `hcl_string` (a quoted string) and `hcl_comment` (one line, no control chars);
- Markdown: `markdown_text` (prose and table cells: no raw HTML, no Markdown syntax) and
  `markdown_code` (a line inside a fenced block: cannot close the fence);
- terminal: `terminal_text` (no control characters or bidi overrides).
"""

from __future__ import annotations

import re
import shlex

# C0 and C1 control characters, DEL, and the Unicode format characters that reorder or hide text
# (bidi embeddings/overrides/isolates, zero-width joiners, line/paragraph separators, BOM).
_CONTROL = "\x00-\x1f\x7f-\x9f"
_INVISIBLE = "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_UNSAFE = re.compile(f"[{_CONTROL}{_INVISIBLE}]")
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")


def one_line(text: object) -> str:
    """`text` as one printable line: newlines and tabs become spaces, other controls go."""
    raw = str(text if text is not None else "")
    return _UNSAFE.sub("", re.sub(r"[\r\n\t\u2028\u2029\x0b\x0c\x85]+", " ", raw))


def terminal_text(text: object) -> str:
    """Text for a terminal: keeps newlines and tabs, drops every other control/bidi character
    (an escape sequence could rewrite the screen; a bidi override could reorder what is shown)."""
    return _UNSAFE_KEEP_LINES.sub("", str(text if text is not None else ""))


def shell_arg(text: object) -> str:
    return shlex.quote(str(text))


def shell_comment(text: object) -> str:
    """A `# ...` line: a newline in `text` cannot end the comment and start a command."""
    return "# " + one_line(text)


def hcl_string(text: object) -> str:
    """A quoted HCL string whose value is exactly `text`.

    HCL's quoted-string escapes are `\\"`, `\\\\`, `\\n`, `\\r`, `\\t`, `\\uNNNN`, `\\UNNNNNNNN`; in addition `${` and
    `%{` open template interpolations and directives, escaped by doubling the first character.
    """
    body = "".join(_hcl_char(c) for c in str(text))
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hcl_char(char: str) -> str:
    # HCL knows only \n \r \t \" \\ \uNNNN \UNNNNNNNN (not JSON's \b, \f or surrogate pairs);
    # everything outside printable ASCII is written as a code point so the file stays plain ASCII
    if char in _HCL_ESCAPES:
        return _HCL_ESCAPES[char]
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def hcl_comment(text: object) -> str:
    """A `# ...` line in Terraform: a newline in `text` cannot end the comment and start code."""
    return "# " + one_line(text)


# The characters that start Markdown syntax anywhere in a line (emphasis, code, links and images,
# table cells, strikethrough). `(`, `!`, `-`, `+`, `.` only mean something next to one of these
# or at a line start, which a value in a template never is; `<`/`&` become entities.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: object) -> str:
    """Literal text in Markdown prose or a table cell: one line, `<`/`>`/`&` as entities (so no
    raw HTML), every Markdown punctuation character backslash-escaped."""
    line = one_line(text)
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", line)


def markdown_code(text: object) -> str:
    """One line inside a fenced code block (shown verbatim, so not escaped): no newline, and no
    leading fence that would close the block and turn the rest into Markdown/HTML."""
    line = one_line(text)
    return "    " + line if line.lstrip().startswith(("```", "~~~")) else line


def markdown_code_block(text: object) -> str:
    """Several lines inside a fenced code block, each made safe by `markdown_code`."""
    return "\n".join(markdown_code(line) for line in str(text).splitlines())
