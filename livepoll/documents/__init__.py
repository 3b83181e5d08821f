"""Documents made from a session's results for organisers to hand on: an Excel workbook (`workbook.py`), a
printable report and a join poster (HTML from templates/report.html and poster.html, to PDF in `render.py`),
and chart images (`charts.py`). Every number comes from the rows of the CSV exports (`livepoll.exports`),
gathered per question in `tables.py`, so a document and `export.csv` never disagree."""
