"""Save a screenshot of the home page to docs/screenshot.png for the README (not a test).

Runs famlink on a throwaway SQLite database in a temporary folder, on
127.0.0.1, and photographs it with Debian's Chromium through Playwright.
Usage: .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"famlink did not start at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--path", default="/", help="Page to photograph.")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "FAMLINK_DATA_DIR": data_dir, "DATABASE_URL": f"sqlite:///{data_dir}/famlink.sqlite3"}
        port = free_port()
        famlink = str(Path(sys.executable).parent / "famlink")
        server = subprocess.Popen([famlink, "serve", "--port", str(port), "--workers", "1"], env=env, cwd=REPO)
        try:
            wait_for(f"http://127.0.0.1:{port}/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.goto(f"http://127.0.0.1:{port}{args.path}")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"Saved {args.out}")


if __name__ == "__main__":
    main()
