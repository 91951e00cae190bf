"""The docs site (mkdocs.yml, ``make docs``): it builds offline with no warning, and its pages
and a run report open in headless Chromium with no broken image and no console error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "report"))
from chromium import check_page, find_browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
API_PAGES = ("index", "theory", "probes", "nets", "neurashed", "lesde", "runs")
#: Pages opened in the browser: Home (the README, with figures), the quickstart, a tutorial
#: and an API page.
BROWSED = ("index.html", "quickstart.html", "tutorials/02_probes_on_your_model.html",
           "api/theory.html")
NO_BROWSER = "no Chromium found on PATH (CI installs Debian's: make chromium)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once, as ``make docs`` builds it (strict: a warning fails the build)."""
    out = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return {"out": out, "log": done.stdout + done.stderr}


def test_the_site_builds_with_no_warning(site):
    assert "WARNING" not in site["log"], site["log"]
    out = site["out"]
    for page in ("index.html", "quickstart.html", "theory.html", "runs.html"):
        assert (out / page).is_file(), page
    for page in API_PAGES:
        assert (out / "api" / f"{page}.html").is_file(), page


def test_the_site_fetches_nothing_from_the_web(site):
    for page in ("index.html", "api/theory.html", "tutorials/01_kernels_and_learning_curves.html"):
        html = (site["out"] / page).read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', html)
        assert external == [], (page, external)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_every_notebook_is_a_tutorial_page_with_its_code(site):
    assert len(NOTEBOOKS) == 4
    for notebook in NOTEBOOKS:
        page = site["out"] / "tutorials" / f"{notebook.stem}.html"
        assert "import learnmech as lm" in _text(page), page
        assert (site["out"] / "tutorials" / notebook.name).read_bytes() == notebook.read_bytes()


def test_the_api_reference_is_generated_from_the_docstrings(site):
    front = (site["out"] / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("learnmech.frontdoor.run", "learnmech.frontdoor.load", "learnmech.frontdoor.sweep",
                 "learnmech.results.RunResult", "learnmech.core.errors.InputError"):
        assert f'id="{name}"' in front, name
    theory = site["out"] / "api" / "theory.html"
    assert 'id="learnmech.theory.from_data.estimate_spectrum"' in theory.read_text()
    assert "estimated from a pool of M points" in _text(theory)  # the module docstring


def _text(page: Path) -> str:
    """A page's text: tags removed, whitespace collapsed."""
    html = page.read_text(encoding="utf-8")
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_readme_links_become_site_links(site):
    html = (site["out"] / "index.html").read_text(encoding="utf-8")
    assert 'href="theory.html"' in html and 'src="figures/' in html
    assert re.findall(r'(?:href|src)="docs/[^"]*"', html) == []


@pytest.mark.parametrize("page", BROWSED)
def test_site_page_in_headless_chromium(site, page):
    if find_browser() is None:
        pytest.skip(NO_BROWSER)
    seen = check_page(site["out"] / page)
    assert seen.errors == [], seen.errors
    assert all(done and width > 0 for _, done, width in seen.images), seen.images
    assert seen.title.endswith("learnmech")
    if page == "index.html":
        assert len(seen.images) >= 4  # the README's figures


def test_a_run_report_in_headless_chromium(tmp_path):
    if find_browser() is None:
        pytest.skip(NO_BROWSER)
    import learnmech as lm

    run = lm.run("mechanics.double-descent", seed=1, quick=True, out=tmp_path / "run")
    seen = check_page(run.run_dir / "report.html")
    assert seen.errors == [], seen.errors
    assert len(seen.images) == len(run.figures) >= 1
    assert all(done and width > 0 for _, done, width in seen.images), seen.images
