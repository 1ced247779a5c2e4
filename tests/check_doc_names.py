#!/usr/bin/env python3
"""Every C function or type, C++ name and CLI command (with its options) that README.md and docs/
name exists: C names are declared in capi/crmkit.h (or are CMake targets), qualified C++ names
resolve in the sources (each qualifier a namespace, class, struct or enum), and `crmkit <command>
[<subcommand>] [--option ...]` is accepted by the CLI's own --help. Before checking the documents,
the checker checks itself: a document naming a function removed from the header must fail.

usage: check_doc_names.py SOURCE_DIR CLI
"""
import pathlib
import re
import subprocess
import sys

C_NAME = re.compile(r"\bcrmkit_[a-z0-9_]*[a-z0-9]\b")
CXX_NAME = re.compile(r"(?<![\w:])((?:[A-Za-z_]\w*::)+~?[A-Za-z_]\w*)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
CLI = re.compile(r"(?:^|[\s/])crmkit((?: +[a-z][a-z0-9-]*)+)((?: +\S+)*)")
# First components that are other projects' namespaces or CMake package namespaces.
FOREIGN = {"std", "boost", "Boost", "fmt", "nlohmann", "nlohmann_json", "CLI", "CLI11", "doctest", "benchmark",
           "SQLite", "Python", "Python3", "pd", "np", "dd", "absl", "git", "Threads"}


def documents(root: pathlib.Path):
    yield root / "README.md"
    for p in sorted((root / "docs").rglob("*")):
        if p.suffix in (".md", ".json") and p.is_file():
            yield p


def code_of(text: str, suffix: str) -> list:
    """The code in a document: fenced blocks and `spans` (JSON: every backtick span)."""
    out = [m.group(1) for m in FENCE.finditer(text)] if suffix == ".md" else []
    rest = FENCE.sub("", text) if suffix == ".md" else text
    out += [m.group(1) for m in CODE_SPAN.finditer(rest)]
    return out


def declared_words(texts) -> set:
    return set(w for t in texts for w in re.findall(r"[A-Za-z_]\w*", t))


def scopes(texts) -> set:
    """Names declared as namespaces, classes, structs or enums."""
    out = set()
    for t in texts:
        for m in re.finditer(r"\bnamespace\s+([\w:]+)", t):
            out.update(m.group(1).split("::"))
        for m in re.finditer(r"\b(?:struct|class|enum\s+class|enum|union)\s+(?:\[\[[^\]]*\]\]\s*)?([A-Za-z_]\w*)", t):
            out.add(m.group(1))
    return out


def cmake_targets(root: pathlib.Path) -> set:
    out = set()
    for p in root.rglob("CMakeLists.txt"):
        if "build" in p.parts[len(root.parts):len(root.parts) + 1][0]:
            continue
        for m in re.finditer(r"add_(?:library|executable|custom_target)\(\s*([\w-]+)", p.read_text()):
            out.add(m.group(1))
    out.update({"crmkit_c", "crmkit_cpp"})  # exported CMake target names (crmkit::...)
    return out | {m.group(1) for p in (root / "cmake").glob("*") if p.is_file()
                  for m in re.finditer(r"crmkit::(\w+)", p.read_text(errors="replace"))}


def c_problems(name: str, text: str, header_words: set, targets: set, files: set) -> list:
    out = []
    for m in C_NAME.finditer(text):
        word = m.group(0)
        after = text[m.end():m.end() + 3]
        if word in header_words or word in targets:
            continue
        if after.startswith(".") and any(f.startswith(word + ".") for f in files):  # a file name
            continue
        out.append(f"{name}: C name {word} is not declared in capi/crmkit.h")
    return out


def cxx_problems(name: str, code: list, words: set, scope_names: set, targets: set) -> list:
    out = []
    for span in code:
        for m in CXX_NAME.finditer(span):
            parts = m.group(1).split("::")
            if parts[0] in FOREIGN:
                continue
            if parts[0] == "crmkit":
                if len(parts) == 2 and parts[1] in targets:
                    continue  # the CMake target crmkit::crmkit_c
                parts = parts[1:]
            missing = [p for p in parts[:-1] if p not in scope_names]
            last = parts[-1].lstrip("~")
            if missing or last not in words:
                out.append(f"{name}: C++ name {m.group(1)} does not resolve "
                           f"({', '.join(missing) + ' not a namespace/class' if missing else last + ' not declared'})")
    return out


def cli_help(cli: str, words: tuple, cache: dict):
    if words not in cache:
        r = subprocess.run([cli, *words, "--help"], capture_output=True, text=True)
        cache[words] = r.stdout if r.returncode == 0 else None
    return cache[words]


def subcommands(help_text: str) -> set:
    if "Subcommands:" not in help_text:
        return set()
    block = help_text.split("Subcommands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^\s{2}([a-z][\w-]*)\s", block, re.M)}


def cli_problems(name: str, code: list, cli: str, cache: dict) -> list:
    out = []
    for span in code:
        for line in span.splitlines():
            if re.match(r"\s*(from|import)\s", line):  # Python: the package, not the CLI
                continue
            for m in CLI.finditer(line):
                words = m.group(1).split()
                path = ()
                text = cli_help(cli, path, cache)
                for w in words:
                    subs = subcommands(text)
                    if not subs:
                        break  # a leaf command: what follows are its arguments
                    if w not in subs:
                        out.append(f"{name}: `crmkit {' '.join(path + (w,))}` is not a CLI command "
                                   f"(crmkit {' '.join(path)} has {', '.join(sorted(subs))})")
                        text = None
                        break
                    path += (w,)
                    text = cli_help(cli, path, cache)
                if text is None or not path:
                    continue
                for opt in re.findall(r"(?<!\S)(--[a-z][\w-]*)", m.group(2) + " " + " ".join(words[len(path):])):
                    if opt not in ("--help",) and not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text):
                        out.append(f"{name}: `crmkit {' '.join(path)}` has no option {opt}")
    return out


def check(root: pathlib.Path, cli: str, header: str, docs) -> list:
    sources = [p.read_text(errors="replace") for p in list((root / "include").rglob("*.hpp")) +
               list((root / "src").rglob("*.[ch]pp")) + list((root / "capi").glob("*.hpp"))]
    header_words = declared_words([header, (root / "capi" / "crmkit_version.h.in").read_text()])
    words = declared_words(sources + [header])
    scope_names = scopes(sources)
    targets = cmake_targets(root)
    files = {p.name for p in root.rglob("*") if ".git" not in p.parts}
    cache: dict = {}
    problems = []
    for name, text, suffix in docs:
        code = code_of(text, suffix)
        problems += c_problems(name, text, header_words, targets, files)
        problems += cxx_problems(name, code + ([text] if suffix == ".json" else []), words, scope_names, targets)
        problems += cli_problems(name, code, cli, cache)
    return sorted(set(problems))


def main() -> int:
    root, cli = pathlib.Path(sys.argv[1]).resolve(), sys.argv[2]
    header = (root / "capi" / "crmkit.h").read_text()
    # Self-check: with a function taken out of the header, a document naming it fails, and so do
    # a made-up C++ scope and CLI command.
    gone = re.sub(r"\bcrmkit_rfm_score_minor\b", "crmkit_removed", header)
    probe = [("probe.md", "Use `crmkit_rfm_score_minor` and `SlaPolicy::from_json`; run `crmkit complaints kpi` "
                          "and `crmkit rfm --no-such-option`.", ".md")]
    found = check(root, cli, gone, probe)
    expected = ["crmkit_rfm_score_minor", "SlaPolicy::from_json", "crmkit complaints kpi", "--no-such-option"]
    for e in expected:
        if not any(e in p for p in found):
            print(f"self-check: the checker did not catch {e}: {found}")
            return 1
    docs = [(str(p.relative_to(root)), p.read_text(errors="replace"), p.suffix) for p in documents(root)]
    problems = check(root, cli, header, docs)
    for p in problems:
        print(p)
    print(f"{len(docs)} documents, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
