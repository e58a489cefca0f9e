"""Insight answers as files: a table of typed rows written as CSV or as an XLSX spreadsheet
(where dates stay dates and numbers stay numbers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFile(BaseModel):
    """A file an insight answers with instead of JSON."""

    filename: str
    media_type: str
    content: bytes


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def csv_file(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> ExportFile:
    """The rows as CSV (times in ISO 8601, missing values empty), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return ExportFile(
        filename=f"{name}.csv", media_type=CSV_TYPE, content=out.getvalue().encode("utf-8")
    )


def xlsx_file(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> ExportFile:
    """The rows as one worksheet: a bold header, times as dates (UTC, without a zone, as
    spreadsheets hold them), numbers as numbers."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet(name[:31])
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, list(header), bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                sheet.write_string(r, c, str(value))
            else:
                sheet.write_number(r, c, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return ExportFile(filename=f"{name}.xlsx", media_type=XLSX_TYPE, content=out.getvalue())
