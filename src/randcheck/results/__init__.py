"""Outcomes of a year's inspections: results (检查结果), their publication (一公开), the year's
figures and estimates, and supervisory revisits (督导回访).

After a visit, the officers who inspected enter the result and publish it within 20 working days
(谁检查、谁录入、谁公示). The package holds, each in a module of its own, and importable from here:

* :mod:`randcheck.results.vocabulary`: the platform vocabulary, :data:`RESULT_CATEGORIES`
  (检查结果, hierarchical), :data:`METHODS` (核查方式), :data:`FOLLOW_UPS` (后续处置) and
  :data:`PUBLIC_FIELDS`;
* :mod:`randcheck.results.table`: :class:`InspectionResult`, one result, a frozen value, and
  :class:`ResultTable`, many results as numpy columns (10⁶ results are a few arrays, not 10⁶
  objects), loaded from and written to CSV and JSON, and checked against the draw they come from;
* :mod:`randcheck.results.publication`: :class:`PublicationTable` from
  :func:`publication_records`, what is published for each result (public fields only), when it
  is due and whether it was on time;
* :mod:`randcheck.results.figures`: the year's figures (:func:`year_figures`);
* :mod:`randcheck.results.estimates`: design-based estimates of the share of enterprises with
  findings (:func:`estimate_prevalence`);
* :mod:`randcheck.results.revisits`: the verifiable draw of completed inspections to recheck
  (:func:`draw_revisits`).

Result categories
-----------------
A result has exactly one top-level category. ``发现问题待后续处理`` needs one or more of its four
sub-kinds (``发现问题待后续处理/未按规定公示应当公示的信息``…); a sub-kind may be given alone, and
then implies its parent. Several values in one CSV cell are separated by ``;``.

A result *has a finding* (发现问题) when its category is one of :data:`FINDING_CATEGORIES`
(``发现问题待后续处理``, ``发现问题经责令已改正`` and ``不配合检查情节严重``); places that count
differently pass their own list to the figures.

Row numbers in errors
---------------------
Errors name the row as the user sees it: in a CSV file the header is row 1, so the first result is
row 2; in a JSON array the first record is record 1; in columns the first value is row 1.
"""

from __future__ import annotations

from randcheck.results.estimates import (
    Estimate,
    Estimates,
    estimate_prevalence,
)
from randcheck.results.figures import (
    CJK_FONTS,
    COVERAGE_GOAL,
    Figure,
    YearFigures,
    cjk_font,
    year_figures,
)
from randcheck.results.publication import (
    PublicationTable,
    publication_records,
)
from randcheck.results.revisits import (
    REVISIT_BY,
    REVISIT_OUTCOMES,
    REVISIT_RECIPE,
    RevisitDraw,
    RevisitFinding,
    RevisitPlan,
    RevisitReceipt,
    RevisitReport,
    commit_revisits,
    draw_revisits,
    record_revisits,
    revisit_plan_digest,
    verify_revisits,
)
from randcheck.results.table import (
    InspectionResult,
    ResultTable,
)
from randcheck.results.vocabulary import (
    FINDING_CATEGORIES,
    FOLLOW_UPS,
    METHODS,
    NO_FOLLOW_UP,
    PUBLIC_FIELDS,
    RESULT_CATEGORIES,
    RESULT_HEADERS,
    TOP_CATEGORIES,
)

__all__ = [
    "CJK_FONTS",
    "COVERAGE_GOAL",
    "FINDING_CATEGORIES",
    "FOLLOW_UPS",
    "METHODS",
    "NO_FOLLOW_UP",
    "PUBLIC_FIELDS",
    "RESULT_CATEGORIES",
    "RESULT_HEADERS",
    "REVISIT_BY",
    "REVISIT_OUTCOMES",
    "REVISIT_RECIPE",
    "TOP_CATEGORIES",
    "Estimate",
    "Estimates",
    "Figure",
    "InspectionResult",
    "PublicationTable",
    "ResultTable",
    "RevisitDraw",
    "RevisitFinding",
    "RevisitPlan",
    "RevisitReceipt",
    "RevisitReport",
    "YearFigures",
    "cjk_font",
    "commit_revisits",
    "draw_revisits",
    "estimate_prevalence",
    "publication_records",
    "record_revisits",
    "revisit_plan_digest",
    "verify_revisits",
    "year_figures",
]
