#!/usr/bin/env python3
"""The README's code snippets are the examples the tests run: every fenced block preceded by
`<!-- snippet: PATH -->` must equal the file PATH (relative to the repository), and every file
in examples/readme/ must appear in the README. Usage: check_readme_snippets.py REPO_ROOT"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
readme = (root / "README.md").read_text(encoding="utf-8")
blocks = re.findall(r"<!-- snippet: (\S+) -->\s*\n```[a-z+]*\n(.*?)```", readme, re.S)
errors = []
seen = set()
for rel, body in blocks:
    seen.add(rel)
    path = root / rel
    if not path.exists():
        errors.append(f"README snippet {rel}: no such file")
    elif path.read_text(encoding="utf-8") != body:
        errors.append(f"README snippet {rel}: differs from the file (copy the file into the README)")
for path in sorted((root / "examples" / "readme").glob("*")):
    rel = str(path.relative_to(root))
    if path.is_file() and rel not in seen:
        errors.append(f"{rel} is not shown in the README")
for e in errors:
    print(e, file=sys.stderr)
print(f"{len(blocks)} README snippets checked")
sys.exit(1 if errors or not blocks else 0)
