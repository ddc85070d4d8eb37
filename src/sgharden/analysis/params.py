"""Lists handed to DuckDB as JSON text, unpacked once in the query (`from_json` in a CTE).

DuckDB converts a Python list parameter value by value, trying `import pandas` for each value
(no pandas here: each try is an import lookup): 11,000 interface ids took ~0.6 s a query, and a
`list_contains($interfaces, interface_id)` filter then scans the whole list for every row. One JSON
string is a single value; the query unpacks it once and joins (a hash semi-join) against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable


def id_list(ids: Iterable[str]) -> str:
    """`ids` as the JSON text the queries read with `from_json($interfaces, '["VARCHAR"]')`."""
    return json.dumps(list(ids))
