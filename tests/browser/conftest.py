"""Browser tests: Debian's Chromium driven by Playwright, axe-core from node_modules.

Never downloads a browser: ``executable_path`` points at the system Chromium.
Screenshots go to ``$FAMLINK_ARTIFACTS`` (default ``test-artifacts/``) for CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FAMLINK_CHROMIUM", "/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; the ORM calls made
# by the tests themselves are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("FAMLINK_ARTIFACTS") or REPO / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm install)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


DESK = {"width": 1280, "height": 900}


def watched_page(browser: Any, **context_options: Any) -> tuple[Any, Any]:
    """A page (and its context) that records every CSP violation, console error and failed load it meets."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.famlink_problems = []
    # A page may answer 400 (a form with errors) on purpose; anything it loads may not fail.
    page.on("console", lambda msg: msg.type == "error" and not msg.text.startswith("Failed to load resource")
            and page.famlink_problems.append(msg.text))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
            and page.famlink_problems.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: page.famlink_problems.append(f"failed {r.url}"))
    page.on("pageerror", lambda error: page.famlink_problems.append(str(error)))
    return context, page


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A phone-sized page (parents use phones)."""
    context, page = watched_page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def desk_page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page (practitioners work at desks)."""
    context, page = watched_page(browser, viewport=DESK, accept_downloads=True)
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations (WCAG 2.2 A and AA rules) on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    return [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def check_page(page: Any, name: str, width: int = PHONE["width"]) -> None:
    """axe-core on the page, no console or CSP errors, no sideways scrolling at ``width``, and a screenshot for CI."""
    page.screenshot(path=str(artifacts_dir() / f"{name}.png"), full_page=True)
    violations = axe_violations(page)
    assert not violations, "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)" for v in violations)
    assert not page.famlink_problems, page.famlink_problems
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{name} scrolls sideways at {width}px ({wide}px wide)"
