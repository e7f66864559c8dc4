"""Regenerate the README's configuration table from the env contract (`make docs`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from copilot_config import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- config-table:start -->\n).*?(<!-- config-table:end -->)", re.DOTALL)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        print(f"{README}: no <!-- config-table:start/end --> markers", file=sys.stderr)
        return 2
    README.write_text(
        BLOCK.sub(lambda m: m[1] + markdown_table() + "\n" + m[2], text), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
