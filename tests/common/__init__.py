"""What more than one folder of tests builds with: families, staff, extracts, databases (no test modules here).

A test folder mirrors the famlink package it tests; a helper used by one
folder stays in that folder, and one used by two or more lives here
(tests/test_test_tree.py checks both).
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
