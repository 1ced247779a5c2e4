#!/usr/bin/env python3
"""Fails if a tracked file refers outside the repository (../shared, /work/shared) or cites a
section of docs/*.md that does not exist (docs/NAME.md#anchor, with GitHub-style anchors)."""
import re
import subprocess
import sys
from pathlib import Path


def anchors(md_text):
    """GitHub-style heading anchors of a Markdown text."""
    out = set()
    for line in md_text.splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        a = m.group(1).strip().lower()
        a = re.sub(r"[^\w\- ]", "", a)
        out.add(a.replace(" ", "-"))
    return out


def main(root):
    root = Path(root)
    files = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    docs = {p.name: anchors(p.read_text(encoding="utf-8")) for p in (root / "docs").glob("*.md")}
    errors = []
    outside = re.compile(r"\.\./shared|/work/shared")
    cite = re.compile(r"(?:docs/)?([A-Za-z0-9_\-]+\.md)(?:#([A-Za-z0-9_\-]+)|\s*§\s*[0-9.]+)")
    me = Path(__file__).resolve()
    for f in files:
        if not f:
            continue
        path = root / f
        if path.resolve() == me or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if outside.search(line):
                errors.append(f"{f}:{n}: refers outside the repository: {line.strip()}")
            for m in cite.finditer(line):
                name, anchor = m.group(1), m.group(2)
                if "§" in m.group(0):
                    errors.append(f"{f}:{n}: section-number citation {m.group(0)!r}; cite docs/{name}#anchor")
                    continue
                if name == "domain.md" and name not in docs:
                    errors.append(f"{f}:{n}: docs/domain.md does not exist")
                elif name in docs and anchor not in docs[name]:
                    errors.append(f"{f}:{n}: no section #{anchor} in docs/{name}")
            if "domain.md" in line and not re.search(r"docs/domain\.md|\(domain\.md|\]\(domain\.md", line) \
                    and not f.startswith("docs/"):
                errors.append(f"{f}:{n}: domain.md cited without its docs/ path")
    for e in errors:
        print(e)
    if errors:
        print(f"{len(errors)} bad reference(s)")
        return 1
    print(f"checked {len(files)} tracked files; docs anchors: "
          + ", ".join(f"{k}({len(v)})" for k, v in sorted(docs.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent))
