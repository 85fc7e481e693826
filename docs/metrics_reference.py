#!/usr/bin/env python3
"""Writes docs/metrics-reference.md: every metric family the exporter can emit, with its type and
HELP, read from the C++ sources (every `gauge(`, `counter(`, `histogram(` and `histogram_family(`
call under collectors/ and exporter/ whose name is a string literal).

    python3 docs/metrics_reference.py           # rewrite docs/metrics-reference.md
    python3 docs/metrics_reference.py --check   # exit 1 when the committed file differs

A name built from a link kind's prefix (collectors/link_stats.cpp: `p + "_rtt_seconds"`, with
`noun` in the help) is expanded for every `LinkKind kind{"nats_route", "route"}` in the sources.
tests/e2e/test_docs.py runs --check and compares the result with the golden expositions.
"""
import collections
import difflib
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "docs", "metrics-reference.md")
FOLDERS = ("collectors", "exporter")
CALL = re.compile(r"\b(gauge|counter|histogram|histogram_family|hist)\s*\(")
TYPES = {"gauge": "gauge", "counter": "counter", "histogram": "histogram", "histogram_family": "histogram",
         "hist": "histogram"}
STRING = r'"(?:[^"\\]|\\.)*"'
STRINGS = STRING + r"(?:\s*" + STRING + r")*"
# A row of a table of families: {"nats_...", "help", counter?, ...}.
SPEC_ROW = re.compile(r"\{\s*(" + STRING + r")\s*,\s*(" + STRINGS + r")\s*,\s*(true|false)\s*,")
# A row of a FieldMetric table (collectors/json_fields.h): {F::gauge, "nats_...", "help", "field"...}.
FIELD_ROW = re.compile(r"\{\s*\w+::(gauge|counter)\s*,\s*(" + STRING + r")\s*,\s*(" + STRINGS + r")\s*,")
# A row of a counter table (collectors/observations/state.cpp): {"nats_...", "help", &Struct::field}.
COUNT_ROW = re.compile(r"\{\s*(" + STRING + r")\s*,\s*(" + STRINGS + r")\s*,\s*&\w+::\w+\s*\}")
# A local string constant that help texts append: const std::string drops = " Drops when ...";
CONSTANT = re.compile(r"\bconst\s+(?:std::string|char\s*\*|auto)\s+(\w+)\s*=\s*(" + STRINGS + r")\s*;")
NAME_LITERAL = re.compile(r'"(nats_[a-z0-9_]+)"')
TOKEN = re.compile(r"\s*(" + STRING + r"|[A-Za-z_][A-Za-z0-9_]*|\+|,|\))")
LINK_KIND = re.compile(r"\bLinkKind\s+\w+\s*\{\s*(" + STRING + r")\s*,\s*(" + STRING + r")\s*\}")


def without_comments(code):
    """The code with // and /* */ comments blanked, string literals kept."""
    return re.sub(r'//[^\n]*|/\*.*?\*/|(' + STRING + r"|'(?:[^'\\]|\\.)*')",
                  lambda m: m.group(1) or " ", code, flags=re.S)


def literal(token):
    return bytes(token[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def arguments(code, start):
    """The first two arguments of the call whose '(' ends at `start`, each a list of tokens (string
    literals, identifiers, '+'), or None when an argument is anything else."""
    args, current, pos = [], [], start
    while len(args) < 2:
        m = TOKEN.match(code, pos)
        if not m:
            return None
        tok, pos = m.group(1), m.end()
        if tok in (",", ")"):
            args.append(current)
            current = []
            if tok == ")":
                break
        else:
            current.append(tok)
    return args if len(args) == 2 and args[0] else None


def evaluate(tokens, names):
    """The string an argument of literals, identifiers and '+' makes, identifiers from `names`."""
    parts = []
    for tok in tokens:
        if tok == "+":
            continue
        if tok.startswith('"'):
            parts.append(literal(tok))
        elif tok in names:
            parts.append(names[tok])
        else:
            return None
    return "".join(parts)


def families():
    """{name: {(type, help): set of source files}}."""
    sources = {}
    for folder in FOLDERS:
        for path in sorted(glob.glob(os.path.join(ROOT, folder, "**", "*.cpp"), recursive=True)):
            with open(path, encoding="utf-8") as f:
                sources[os.path.relpath(path, ROOT)] = without_comments(f.read())
    kinds = [(literal(p), literal(n)) for code in sources.values() for p, n in LINK_KIND.findall(code)]
    found = collections.defaultdict(lambda: collections.defaultdict(set))
    for rel, code in sources.items():
        constants = {n: "".join(literal(s) for s in re.findall(STRING, v)) for n, v in CONSTANT.findall(code)}
        for name, help_text, counter in SPEC_ROW.findall(code):
            name = literal(name)
            if name.startswith("nats_"):
                kind = "counter" if counter == "true" else "gauge"
                found[name][(kind, "".join(literal(s) for s in re.findall(STRING, help_text)))].add(rel)
        for kind, name, help_text in FIELD_ROW.findall(code):
            found[literal(name)][(kind, "".join(literal(s) for s in re.findall(STRING, help_text)))].add(rel)
        for name, help_text in COUNT_ROW.findall(code):
            found[literal(name)][("counter", "".join(literal(s) for s in re.findall(STRING, help_text)))].add(rel)
        for m in CALL.finditer(code):
            args = arguments(code, m.end())
            if not args or not args[0][0].startswith('"') and len(args[0]) == 1:
                continue  # a name passed through a variable: declared where the literal is
            idents = {t for a in args for t in a if t[0].isalpha() or t[0] == "_"} - set(constants)
            bindings = [constants] if not idents else [dict(constants, p=p, noun=n) for p, n in kinds]
            for names in bindings:
                name, help_text = evaluate(args[0], names), evaluate(args[1], names)
                if name is None or help_text is None or not name.startswith("nats_"):
                    continue
                found[name][(TYPES[m.group(1)], help_text)].add(rel)
    # A family declared again with an empty help (a second sample of it) adds nothing.
    for name, variants in found.items():
        if len(variants) > 1:
            for key in [k for k in variants if not k[1]]:
                del variants[key]
    return found


def unaccounted():
    """Metric names written as a whole literal in the code that the reference lacks (a family declared
    in a way this script does not read), other than link kinds' prefixes."""
    names, prefixes = set(families()), set()
    missing = []
    for folder in FOLDERS:
        for path in sorted(glob.glob(os.path.join(ROOT, folder, "**", "*.cpp"), recursive=True)):
            with open(path, encoding="utf-8") as f:
                code = without_comments(f.read())
            prefixes |= {literal(p) for p, _ in LINK_KIND.findall(code)}
            missing += [(os.path.relpath(path, ROOT), n) for n in NAME_LITERAL.findall(code)]
    return sorted({(f, n) for f, n in missing if n not in names and n not in prefixes})


def render():
    lines = ["# Metric reference", "",
             "Every metric family the exporter can emit, with its type and help, generated from the code by",
             "`python3 docs/metrics_reference.py` (do not edit by hand; `tests/e2e/test_docs.py` fails when",
             "this file and the code disagree). What the families mean and how to use them: [metrics.md](metrics.md),",
             "[probe.md](probe.md), [observations.md](observations.md), [doctor.md](doctor.md).", "",
             "| family | type | help | from |", "| --- | --- | --- | --- |"]
    found = families()
    for name in sorted(found):
        for (kind, help_text), files in sorted(found[name].items()):
            cell = help_text.replace("|", "\\|")
            lines.append(f"| `{name}` | {kind} | {cell} | {', '.join(f'`{f}`' for f in sorted(files))} |")
    return "\n".join(lines) + "\n"


def main():
    text = render()
    for path, name in unaccounted():
        print(f"{path}: {name} is declared in a way this script does not read; teach it", file=sys.stderr)
        return 1
    if "--check" in sys.argv[1:]:
        with open(OUTPUT, encoding="utf-8") as f:
            committed = f.read()
        if committed != text:
            sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), text.splitlines(True),
                                                       "docs/metrics-reference.md (committed)", "from the code"))
            print("\nregenerate with: python3 docs/metrics_reference.py")
            return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
