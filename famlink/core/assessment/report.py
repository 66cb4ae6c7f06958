"""The assessment report: one self-contained HTML page (charts inline) and the same as PDF.

Written for a council committee or a parent reading the public register,
so every figure has a sentence saying what it means.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.4}
h1{font-size:2em}h2{margin-top:1.5em;border-bottom:1px solid #b1b4b6}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border-bottom:1px solid #b1b4b6;padding:.3em .6em;text-align:left}
.pass{color:#00703c;font-weight:bold}.fail{color:#d4351c;font-weight:bold}.muted{color:#505a5f}
.verdict{padding:1em;border:5px solid}.verdict.pass{border-color:#00703c}.verdict.fail{border-color:#d4351c}
img{max-width:100%}
"""


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def calibration_chart(figures: dict[str, Any]) -> str:
    fig, ax = plt.subplots(figsize=(5, 4))
    for key, label in (("calibration", "model"), ("baseline_calibration", "baseline")):
        curve = figures[key]["curve"]
        ax.plot([c["mean_score"] for c in curve], [c["observed_rate"] for c in curve], marker="o", label=label)
    top = max(max(c["observed_rate"], c["mean_score"]) for c in figures["calibration"]["curve"])
    ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect")
    ax.set_xlabel("mean score in decile")
    ax.set_ylabel("share later referred")
    ax.set_title("Calibration by decile of score")
    ax.legend()
    return _png(fig)


def group_chart(figures: dict[str, Any], metric: str) -> str:
    rows = [
        (f"{attr}: {g['group']}", g["ratios"][metric])
        for attr, block in figures["by_group"].items()
        for g in block["groups"]
        if not g.get("suppressed") and not g["reference"] and g["ratios"][metric]["ratio"] is not None
    ]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(rows) + 1))
    for i, (_label, r) in enumerate(rows):
        low, high = r["ci"]
        colour = "#d4351c" if r["outside_band"] else "#1d70b8"
        ax.plot([r["ratio"]], [i], "o", color=colour)
        if low is not None and high is not None:
            ax.plot([low, high], [i, i], color=colour)
    ax.axvspan(0.8, 1.25, color="#f3f2f1")
    ax.axvline(1, color="grey")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel(f"{metric} ratio to the reference group (log scale; shaded 0.8-1.25)")
    return _png(fig)


def render_html(figures: dict[str, Any], entry: dict[str, Any]) -> str:
    ok = figures["passed"]
    d, t, bt = figures["discrimination"], figures["at_threshold"], figures["baseline_at_threshold"]
    title = f"Assessment of {entry['name']} ({figures['model_id']})"
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='muted'>Run {escape(figures['ran_at'])}; period {escape(figures['period'])}; "
        f"criteria written {escape(figures['criteria_written_on'])} (before this run).</p>",
        f"<div class='verdict {'pass' if ok else 'fail'}'><strong>{'Passed' if ok else 'Failed'}</strong>: "
        + ("the model met every criterion in its register entry and may be used." if ok else
           "the model did not meet the criteria in its register entry, so it is suspended and scores nobody.")
        + "</div>",
        "<h2>Pass/fail criteria</h2><table><tr><th>criterion</th><th>figure</th><th>result</th><th>why</th></tr>",
    ]
    for c in figures["criteria"]:
        parts.append(
            f"<tr><td>{escape(c['metric'])} {escape(c['op'])} {c['value']:g}</td><td>{_fmt(c['figure'])}</td>"
            f"<td class='{'pass' if c['passed'] else 'fail'}'>{'pass' if c['passed'] else 'fail'}</td><td>{escape(c['why'])}</td></tr>"
        )
    pop = figures["population"]
    parts += [
        "</table><h2>Who was assessed</h2>",
        f"<p>{pop['children']:,} children in {pop['families']:,} families; {pop['referred']:,} "
        f"({pop['base_rate']:.1%}) were referred to children's social care in the 12 months after the scoring date.</p>",
        "<h2>How well it ranks families</h2><table><tr><th></th><th>model</th><th>95% interval</th><th>baseline</th><th>95% interval</th></tr>",
        f"<tr><td>AUROC</td><td>{_fmt(d['auroc'])}</td><td>{_fmt(d['auroc_ci'][0])}&ndash;{_fmt(d['auroc_ci'][1])}</td><td>{_fmt(d['baseline_auroc'])}</td><td>{_fmt(d['baseline_auroc_ci'][0])}&ndash;{_fmt(d['baseline_auroc_ci'][1])}</td></tr>",
        f"<tr><td>AUPRC</td><td>{_fmt(d['auprc'])}</td><td>{_fmt(d['auprc_ci'][0])}&ndash;{_fmt(d['auprc_ci'][1])}</td><td>{_fmt(d['baseline_auprc'])}</td><td>{_fmt(d['baseline_auprc_ci'][0])}&ndash;{_fmt(d['baseline_auprc_ci'][1])}</td></tr>",
        f"<tr><td>Brier score</td><td>{_fmt(d['brier'], 4)}</td><td>{_fmt(d['brier_ci'][0], 4)}&ndash;{_fmt(d['brier_ci'][1], 4)}</td><td></td><td></td></tr>",
        f"<tr><td>AUROC gain over baseline</td><td>{_fmt(d['auroc_gain'])}</td><td>{_fmt(d['auroc_gain_ci'][0])}&ndash;{_fmt(d['auroc_gain_ci'][1])}</td><td></td><td></td></tr></table>",
        f"<p class='muted'>Intervals: {d['bootstrap_resamples']} bootstrap resamples of whole families.</p>",
        "<h2>Calibration</h2>",
        f"<p>Slope {_fmt(figures['calibration']['slope'])} (1 is ideal), intercept {_fmt(figures['calibration']['intercept'])} (0 is ideal).</p>",
        f"<img alt='Calibration chart: share later referred against mean score, by decile' src='{calibration_chart(figures)}'>",
        f"<h2>At the operating threshold ({t['threshold']:g})</h2><table><tr><th></th><th>model</th><th>baseline</th></tr>",
    ]
    for key, label in (("selected", "children flagged"), ("selection_rate", "share flagged"), ("ppv", "flagged who were later referred (PPV)"),
                       ("sensitivity", "referred who were flagged (sensitivity)"), ("fpr", "not referred but flagged (FPR)"),
                       ("fnr", "referred but not flagged (FNR)"), ("npv", "not flagged and not referred (NPV)"),
                       ("flagged_per_true_case", "children flagged per child later referred")):
        parts.append(f"<tr><td>{label}</td><td>{_fmt(t[key])}</td><td>{_fmt(bt[key])}</td></tr>")
    parts.append("</table><h2>By group</h2><p>Ratios are to the largest group; red marks a ratio outside 0.8&ndash;1.25. "
                 "Groups under the minimum size are not shown, to protect the families in them.</p>")
    parts.append(f"<img alt='False positive rate ratios by group with intervals' src='{group_chart(figures, 'fpr')}'>")
    for attr, block in figures["by_group"].items():
        parts.append(f"<h3>{escape(attr)} (reference: {escape(block['reference'])})</h3><table><tr><th>group</th><th>children</th>"
                     "<th>base rate</th><th>selection rate</th><th>share of flags</th><th>PPV</th><th>FPR</th><th>FNR</th><th>observed / expected</th><th>FPR ratio</th></tr>")
        for g in block["groups"]:
            if g.get("suppressed"):
                parts.append(f"<tr><td>{escape(g['group'])}</td><td colspan='9'>fewer than {figures['settings']['min_cell']} children: not shown</td></tr>")
                continue
            r = g["ratios"]["fpr"]
            cls = " class='fail'" if r["outside_band"] else ""
            parts.append(
                f"<tr><td>{escape(g['group'])}</td><td>{g['count']:,}</td><td>{_fmt(g['base_rate'])}</td><td>{_fmt(g['selection_rate'])}</td>"
                f"<td>{_fmt(g['share_of_flags'])}</td><td>{_fmt(g['ppv'])}</td><td>{_fmt(g['fpr'])}</td><td>{_fmt(g['fnr'])}</td>"
                f"<td>{_fmt(g['observed_over_expected'])}</td><td{cls}>{_fmt(r['ratio'], 2)} ({_fmt(r['ci'][0], 2)}&ndash;{_fmt(r['ci'][1], 2)})</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(figures: dict[str, Any], entry: dict[str, Any], out_dir: Path,
                 *, pdf: Callable[[str], bytes]) -> dict[str, Path]:
    """Write assessment.json, assessment.html and assessment.pdf into ``out_dir``.

    ``pdf`` lays out HTML as a PDF (the caller's renderer, ``famlink.adapters.pdf``):
    the domain says what the report holds, not which library prints it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "assessment.json", "html": out_dir / "assessment.html", "pdf": out_dir / "assessment.pdf"}
    paths["json"].write_text(json.dumps(figures, indent=2, sort_keys=True))
    html = render_html(figures, entry)
    paths["html"].write_text(html, encoding="utf-8")
    paths["pdf"].write_bytes(pdf(html))
    return paths
