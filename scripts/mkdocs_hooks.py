"""MkDocs hooks of the docs site (``mkdocs.yml``): pages made from files outside ``docs/``.

* **Home** (``index.md``) is the README, its ``docs/`` links made relative to the site.
* **Tutorials** (``tutorials/<name>.md``) are the notebooks of ``examples/``: markdown cells as
  they are, code cells as Python blocks (the notebooks are committed without outputs), and
  the ``.ipynb`` itself beside the page for download.
* Every ``docs/*.md`` page the nav does not list joins the nav's "Guide" section (titled by its
  first heading), so a new page shows up without an edit here.
* A link to ``../README.md`` (outside the docs folder) points at Home.
* Sphinx roles in docstrings (``:func:`name```, ``:class:`~name```) show as plain code in the
  API reference.

Nothing here reaches the network; the build runs offline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: The nav section that collects the docs/*.md pages.
GUIDE = "Guide"
#: A Sphinx role before inline code, as rendered from a docstring (the ``~`` of a short name).
ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):(<code>)~?")


def on_config(config):
    """Add every docs/*.md page missing from the nav to its Guide section."""
    docs = Path(config["docs_dir"])
    listed = set(_nav_files(config["nav"] or []))
    guide = next((item[GUIDE] for item in config["nav"] or []
                  if isinstance(item, dict) and GUIDE in item), None)
    if guide is None:
        return config
    for page in sorted(docs.glob("*.md")):
        if page.name not in listed and page.name != "index.md":
            guide.append({_title(page.read_text(encoding="utf-8"), page.stem): page.name})
    return config


def on_files(files, config):
    """Add Home (from the README) and the tutorial pages (from the notebooks)."""
    from mkdocs.structure.files import File

    if files.get_file_from_path("index.md") is None:
        files.append(File.generated(config, "index.md", content=home_page()))
    for notebook in sorted(EXAMPLES.glob("*.ipynb")):
        page = f"tutorials/{notebook.stem}.md"
        files.append(File.generated(config, page, content=tutorial_page(notebook)))
        files.append(File.generated(config, f"tutorials/{notebook.name}",
                                    abs_src_path=str(notebook)))
    return files


def on_page_markdown(markdown, page, config, files):
    """Point links to the README (outside the docs folder) at Home."""
    return markdown.replace("](../README.md)", "](index.md)")


def on_page_content(html, page, config, files):
    """Drop the Sphinx roles of docstrings, keeping their code."""
    return ROLE.sub(r"\1", html)


def home_page() -> str:
    """The README with its links into ``docs/`` made relative to the site."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.sub(r'(\]\(|src=")docs/', r"\1", text)


def tutorial_page(notebook: Path) -> str:
    """A notebook as markdown: markdown cells verbatim, code cells as Python blocks."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    parts = []
    for i, cell in enumerate(cells):
        source = "".join(cell["source"]).rstrip()
        if cell["cell_type"] == "markdown":
            parts.append(source)
            if i == 0:
                parts.append(f"Download the notebook: [{notebook.name}]({notebook.name}) "
                             f"(`examples/{notebook.name}` in the repository).")
        elif cell["cell_type"] == "code" and source:
            parts.append(f"```python\n{source}\n```")
    return "\n\n".join(parts) + "\n"


def _nav_files(nav) -> list[str]:
    """Every file named in a nav (nested lists and dicts)."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in _nav_files(value)]
    return [f for item in nav for f in _nav_files(item)]


def _title(text: str, default: str) -> str:
    """The first ``# heading`` of a markdown page, or ``default``."""
    match = re.search(r"^# (.+)$", text, flags=re.M)
    return match.group(1).strip() if match else default
