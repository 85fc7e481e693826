"""The documentation, checked without servers (fast):

- every relative link in README.md and docs/*.md points at a file or folder of the repository, and a
  link with an anchor (`page.md#section`, `#section`) at a heading of that page;
- docs/metrics-reference.md is what docs/metrics_reference.py generates from the code, and holds every
  family of the golden expositions (tests/golden/*.prom) with the same type and HELP;
- README.md stays a front door of at most 350 lines.
"""
import glob
import os
import re
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ.get("NATSEXP_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
README = os.path.join(SOURCE_DIR, "README.md")
DOCS = sorted(glob.glob(os.path.join(SOURCE_DIR, "docs", "*.md")))

# Pages that work running in parallel adds (the flag reference, the benchmarks, the upgrade notes). A
# link to one of them is accepted while it is missing; once it exists it is checked like any other.
# Empty this set when they are all in.
PENDING_PAGES = {"docs/flags.md"}

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def markdown_anchors(path):
    """GitHub's anchors of the headings of a Markdown file (a repeated heading gets -1, -2, ...)."""
    anchors, seen = set(), {}
    for _, line in text_outside_code(path):
        m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).lower().replace("`", "")).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def text_outside_code(path):
    """(line number, line) of a Markdown file outside ``` fences."""
    lines, fenced = [], False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced:
                lines.append((number, line.rstrip("\n")))
    return lines


def relative_links(path):
    """(line number, target) of every link that is not a URL with a scheme, outside code."""
    out = []
    for number, line in text_outside_code(path):
        line = re.sub(r"`[^`]*`", "", line)  # a code span is text, not a link
        for target in LINK.findall(line):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):
                out.append((number, target))
    return out


class Links(unittest.TestCase):
    def test_pages_exist(self):
        names = {os.path.basename(p) for p in DOCS}
        for page in ("configuration.md", "metrics.md", "metrics-reference.md", "probe.md", "doctor.md",
                     "deployment-and-security.md", "runbook.md", "development.md", "dashboards.md",
                     "observations.md"):
            self.assertIn(page, names)

    def test_every_relative_link_resolves(self):
        checked = 0
        for page in [README] + DOCS:
            page_rel = os.path.relpath(page, SOURCE_DIR)
            for number, target in relative_links(page):
                with self.subTest(page=page_rel, link=target):
                    path, _, anchor = target.partition("#")
                    resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                    rel = os.path.relpath(resolved, SOURCE_DIR)
                    self.assertFalse(rel.startswith(".."), f"{page_rel}: {target} leaves the repository")
                    if not os.path.exists(resolved) and rel in PENDING_PAGES:
                        continue
                    self.assertTrue(os.path.exists(resolved), f"{page_rel}: {target}: no file {rel}")
                    if anchor:
                        self.assertTrue(resolved.endswith(".md"), f"{page_rel}: {target}: an anchor in a non-Markdown file")
                        self.assertIn(anchor, markdown_anchors(resolved), f"{page_rel}: {target}: no such heading in {rel}")
                    checked += 1
        self.assertGreater(checked, 20)

    def test_the_checker_catches_broken_links(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            page = os.path.join(d, "page.md")
            with open(page, "w", encoding="utf-8") as f:
                f.write("# Title\n\n## A `code` heading?\n\n[ok](#title) [x](other.md#a) `[not](a-link.md)`\n"
                        "```\n[also not](x.md)\n```\n[web](https://example.com) [twice](#title)\n")
            self.assertEqual(relative_links(page), [(5, "#title"), (5, "other.md#a"), (9, "#title")])
            self.assertEqual(markdown_anchors(page), {"title", "a-code-heading"})


class MetricReference(unittest.TestCase):
    def test_the_committed_reference_is_generated_from_the_code(self):
        p = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "docs", "metrics_reference.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_every_golden_family_is_in_the_reference(self):
        # The reference reads declarations; the golden files are what the collectors really emit.
        with open(os.path.join(SOURCE_DIR, "docs", "metrics-reference.md"), encoding="utf-8") as f:
            rows = set(re.findall(r"^\| `(nats_\w+)` \| (\w+) \| (.*?) \| `", f.read(), re.M))
        goldens = sorted(glob.glob(os.path.join(SOURCE_DIR, "tests", "golden", "*.prom")))
        self.assertEqual(len(goldens), 9)
        for path in goldens:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            helps = dict(re.findall(r"^# HELP (\S+) (.*)$", text, re.M))
            types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
            self.assertTrue(types, path)
            for name, kind in types.items():
                with self.subTest(golden=os.path.basename(path), family=name):
                    cell = helps[name].replace("\\\\", "\\").replace("|", "\\|")
                    self.assertIn((name, kind, cell), rows)


class FrontDoor(unittest.TestCase):
    def test_readme_is_short(self):
        with open(README, encoding="utf-8") as f:
            self.assertLessEqual(len(f.readlines()), 350)

    def test_readme_keeps_the_two_commands(self):
        # CI (.ci/run) runs the README's test command: it must stay exactly this.
        with open(README, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("\nbash deploy/local/demo.sh\n", text)
        self.assertIn("\nbash tests/run.sh\n", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
