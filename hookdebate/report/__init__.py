"""The report: a fair summary of one debate (Markdown, HTML, JSON) with pictures.

build(analysis, linked) gathers everything into one dict (the JSON report;
its dates are datetimes, written by data.json_default); the renderers turn that
dict into Markdown or one self-contained HTML file, section by section
(sections.py). The HTML report's pictures are stdlib SVG (svg.py); matplotlib is imported only
by matplotlib_drawing.py, for PNG files and the archive's and a debate's pictures.
"""
from __future__ import annotations

from hookdebate.report.data import build, lore_url
from hookdebate.report.markdown import render_markdown
from hookdebate.report.html import render_html

__all__ = ["build", "lore_url", "render_markdown", "render_html"]
