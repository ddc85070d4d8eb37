"""TOML as sgharden reads it (sgharden.toml's [planner] and accepted risks): one InputError naming
the file for a file that cannot be read, is not UTF-8 or is not TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sgharden.errors import InputError


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
