"""CSV that opens cleanly in Excel, LibreOffice and pandas, and never carries a formula.

- Numbers (int, float) are written as plain numbers: an eNPS of -12 stays -12.
- A text cell that a spreadsheet could read as a formula or a control sequence
  (starting with = + - @, tab, carriage return, line feed or NUL) gets a leading
  apostrophe, whatever the text is: a team, round or theme name, or a comment. This is
  OWASP's advice for CSV injection; the apostrophe shows, and nothing runs.
- Quoting follows RFC 4180 (fields with commas, quotes or line breaks are quoted, quotes
  doubled, lines end in CRLF); the text is UTF-8, with a byte-order mark on request,
  which Excel needs to read anything but ASCII correctly.
- Rows are encoded in chunks as they come, so an export of any size holds one chunk
  in memory, never the file.
"""
import csv
import io
import re
import unicodedata

RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
BOM = "\ufeff"
ROWS_PER_CHUNK = 500
MAX_NAME_PART = 60


def cell(value):
    """The value as a CSV writer should get it: None empty, numbers as they are,
    text neutralised when it starts like a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(RISKY_STARTS) else text


def encode(header, rows, bom=False):
    """UTF-8 bytes of a CSV file, in chunks of ROWS_PER_CHUNK rows: the header row
    first (with the byte-order mark if asked), then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    yield ((BOM if bom else "") + _take(buffer)).encode()
    pending = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield _take(buffer).encode()
            pending = 0
    if pending:
        yield _take(buffer).encode()


def _take(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def name_part(text, fallback):
    """A piece of a file name from any text: ASCII letters, digits and single hyphens,
    at most MAX_NAME_PART characters; `fallback` when nothing usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return slug[:MAX_NAME_PART].rstrip("-") or fallback
