"""Read a copy of Heard's database the way a forensic auditor would (issue 13).

The anonymity promise (docs/anonymity.md, adversaries 2 and 3) is about what a *copy* of the
database shows, not what SQL returns: the order cells sit in inside a page, the WAL frames a
checkpoint left behind, the bytes a DELETE left in free space, dead PostgreSQL tuples and WAL
records. SQL hides all of that, so the SQLite half of this module reads the files byte by
byte (https://www.sqlite.org/fileformat2.html) and never asks the sqlite3 library anything.
The PostgreSQL half cannot read the server's files directly, so it asks the server for raw
pages (pageinspect) and raw WAL (pg_walinspect for record boundaries, pg_read_binary_file for
the bytes), and decodes those bytes itself.

Only test code uses this module; it is written for clarity and small test databases, not speed.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import struct
import uuid

# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------

SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGIC_LE, WAL_MAGIC_BE = 0x377F0682, 0x377F0683
WAL_HEADER, WAL_FRAME_HEADER = 32, 24

# B-tree page types (first byte of the page header).
INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE = 2, 5, 10, 13


@dataclasses.dataclass(frozen=True)
class Cell:
    """One live cell of a b-tree: where it physically sits and what it holds.

    `values` is the decoded record exactly as stored: a rowid table's INTEGER PRIMARY KEY
    column is stored as NULL (its value is the rowid), so the rowid is kept apart in `rowid`
    (None for index b-trees, i.e. WITHOUT ROWID tables and indexes).
    """
    page: int
    offset: int
    values: tuple
    rowid: int | None = None


@dataclasses.dataclass(frozen=True)
class Frame:
    """One WAL frame, valid or not. `index` counts from 0 in file order.

    `salt_ok` is False for frames left over from before the WAL was restarted (their salts
    are the old header's); `checksum_ok` follows SQLite's cumulative checksum chain, so a
    torn or stale frame after the last good one fails it. `committed` says whether SQLite
    itself would use the frame: valid, and at or before the last valid commit frame.
    """
    index: int
    page: int
    commit_size: int
    salt_ok: bool
    data: bytes
    checksum_ok: bool = True
    committed: bool = False
    offset: int = 0  # byte offset of the frame header in the WAL file


@dataclasses.dataclass(frozen=True)
class FreePage:
    page: int
    kind: str  # "trunk" or "leaf"
    data: bytes


@dataclasses.dataclass(frozen=True)
class Region:
    """Bytes inside a b-tree page that no live cell or header uses (where deleted rows linger).

    `offset` is inside the page; for page 1 that includes the 100-byte file header.
    """
    page: int
    offset: int
    data: bytes


@dataclasses.dataclass(frozen=True)
class Hit:
    path: str
    offset: int


def read_varint(buf, pos):
    """SQLite varint at `pos`: (value, next position). Up to 9 bytes, big-endian, the 9th
    byte contributing all 8 bits; values are 64-bit two's complement."""
    value = 0
    for i in range(8):
        byte = buf[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return _signed64(value), pos + i + 1
    value = (value << 8) | buf[pos + 8]
    return _signed64(value), pos + 9


def _signed64(value):
    return value - (1 << 64) if value >= (1 << 63) else value


_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def serial_type_size(serial):
    if serial in _INT_SIZES:
        return _INT_SIZES[serial]
    if serial == 7:
        return 8
    if serial in (0, 8, 9):
        return 0
    if serial in (10, 11):
        raise ValueError(f"reserved serial type {serial}")
    return (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2


def decode_record(payload, encoding="utf-8"):
    """A record (header of serial types, then the values) as a tuple of Python values.

    Public so a test can try to decode remnants found in free space; a truncated record
    raises IndexError/ValueError.
    """
    header_size, pos = read_varint(payload, 0)
    serials = []
    while pos < header_size:
        serial, pos = read_varint(payload, pos)
        serials.append(serial)
    values, pos = [], header_size
    for serial in serials:
        size = serial_type_size(serial)
        raw = payload[pos:pos + size]
        if len(raw) != size:
            raise ValueError("record shorter than its header says")
        pos += size
        if serial == 0:
            values.append(None)
        elif serial in _INT_SIZES:
            values.append(int.from_bytes(raw, "big", signed=True))
        elif serial == 7:
            values.append(struct.unpack(">d", raw)[0])
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial % 2 == 0:
            values.append(bytes(raw))
        else:
            values.append(bytes(raw).decode(encoding, errors="surrogateescape"))
    return tuple(values)


class SQLiteImage:
    """A database file as a copy shows it: its pages, overlaid with the WAL's committed pages.

    SQLite itself reads a page from the WAL when the last committed transaction there wrote
    it, else from the main file; a copy taken with its -wal file reads the same way.
    """

    def __init__(self, path, wal=None):
        with open(path, "rb") as f:
            self.file = f.read()
        self.wal_pages = {}
        wal_size = None
        page_size = None
        if wal is not None and os.path.exists(wal):
            frames = sqlite_wal_frames(wal)
            committed = [fr for fr in frames if fr.committed]
            for frame in committed:  # later frames win: file order is commit order
                self.wal_pages[frame.page] = frame.data
            if committed:
                wal_size = committed[-1].commit_size
                page_size = len(committed[-1].data)
        header = self.wal_pages.get(1) or self.file[:100]
        if header[:16] != SQLITE_MAGIC:
            raise ValueError(f"{path}: not an SQLite database")
        if page_size is None:
            page_size = struct.unpack(">H", header[16:18])[0]
            page_size = 65536 if page_size == 1 else page_size
        self.page_size = page_size
        self.reserved = header[20]
        self.usable = page_size - self.reserved
        self.encoding = {1: "utf-8", 2: "utf-16-le", 3: "utf-16-be"}.get(
            struct.unpack(">I", header[56:60])[0], "utf-8")
        self.freelist_trunk, self.freelist_count = struct.unpack(">II", header[32:40])
        if wal_size:
            self.page_count = wal_size
        else:
            # The in-header size is trusted only when "version-valid-for" matches the change
            # counter (older writers did not keep it); else the file size decides.
            in_header, change, valid_for = (struct.unpack(">I", header[o:o + 4])[0]
                                            for o in (28, 24, 92))
            self.page_count = in_header if in_header and change == valid_for \
                else len(self.file) // page_size

    def page(self, number):
        if number in self.wal_pages:
            return self.wal_pages[number]
        start = (number - 1) * self.page_size
        data = self.file[start:start + self.page_size]
        if len(data) != self.page_size:
            raise ValueError(f"page {number} is beyond the end of the file")
        return data

    # -- b-tree pages ------------------------------------------------------------------------

    def btree_header(self, number):
        """(page bytes, header start, type, cell pointers, content start, first freeblock)."""
        data = self.page(number)
        start = 100 if number == 1 else 0
        kind = data[start]
        if kind not in (INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE):
            raise ValueError(f"page {number} is not a b-tree page (type {kind})")
        first_free, ncells, content = struct.unpack(">HHH", data[start + 1:start + 7])
        header_len = 12 if kind in (INTERIOR_INDEX, INTERIOR_TABLE) else 8
        ptr_start = start + header_len
        pointers = [struct.unpack(">H", data[ptr_start + 2 * i:ptr_start + 2 * i + 2])[0]
                    for i in range(ncells)]
        return data, start, kind, pointers, content or 65536, first_free

    def _local_size(self, kind, payload_size):
        """How much of a payload sits in the cell itself (the rest goes to overflow pages)."""
        u = self.usable
        max_local = u - 35 if kind == LEAF_TABLE else (u - 12) * 64 // 255 - 23
        if payload_size <= max_local:
            return payload_size
        min_local = (u - 12) * 32 // 255 - 23
        k = min_local + (payload_size - min_local) % (u - 4)
        return k if k <= max_local else min_local

    def parse_cell(self, data, kind, offset):
        """(rowid, payload or None, left child or None, cell size in bytes, overflow pages)."""
        pos, left, rowid = offset, None, None
        if kind in (INTERIOR_INDEX, INTERIOR_TABLE):
            left = struct.unpack(">I", data[pos:pos + 4])[0]
            pos += 4
        if kind == INTERIOR_TABLE:
            rowid, pos = read_varint(data, pos)
            return rowid, None, left, max(pos - offset, 4), []
        payload_size, pos = read_varint(data, pos)
        if kind == LEAF_TABLE:
            rowid, pos = read_varint(data, pos)
        local = self._local_size(kind, payload_size)
        payload = bytearray(data[pos:pos + local])
        pos += local
        overflow_pages = []
        if local < payload_size:
            # Overflow chain: each page is a 4-byte next-page number, then payload bytes.
            next_page = struct.unpack(">I", data[pos:pos + 4])[0]
            pos += 4
            while len(payload) < payload_size:
                overflow_pages.append(next_page)
                over = self.page(next_page)
                take = min(payload_size - len(payload), self.usable - 4)
                payload += over[4:4 + take]
                next_page = struct.unpack(">I", over[:4])[0]
        return rowid, bytes(payload), left, max(pos - offset, 4), overflow_pages

    def btree_pages(self, root):
        """Every page of the b-tree under `root` (interior and leaf), depth first."""
        pages, stack = [], [root]
        while stack:
            number = stack.pop()
            pages.append(number)
            data, start, kind, pointers, _, _ = self.btree_header(number)
            if kind in (INTERIOR_INDEX, INTERIOR_TABLE):
                children = [self.parse_cell(data, kind, p)[2] for p in pointers]
                children.append(struct.unpack(">I", data[start + 8:start + 12])[0])
                stack.extend(reversed(children))
        return pages

    def cells(self, root):
        """Live cells holding records, in physical order (page, then offset).

        A table b-tree keeps its rows only in leaves (interior cells are rowid keys); an
        index b-tree (WITHOUT ROWID tables, indexes) keeps whole records in interior cells
        too, so those count as rows.
        """
        out = []
        for number in self.btree_pages(root):
            data, _, kind, pointers, _, _ = self.btree_header(number)
            if kind == INTERIOR_TABLE:
                continue
            for pointer in pointers:
                rowid, payload, _, _, _ = self.parse_cell(data, kind, pointer)
                out.append(Cell(number, pointer, decode_record(payload, self.encoding), rowid))
        return sorted(out, key=lambda cell: (cell.page, cell.offset))

    def schema(self):
        """sqlite_master rows: (type, name, tbl_name, rootpage, sql), read from page 1."""
        return [cell.values for cell in self.cells(1)]

    def root_page(self, name):
        for kind, entry, _, root, _ in self.schema():
            if kind in ("table", "index") and entry.lower() == name.lower():
                if not root:
                    raise ValueError(f"{name} has no b-tree (a view or virtual table?)")
                return root
        raise KeyError(f"no table or index named {name!r}")

    def unallocated(self, number):
        """Regions of a b-tree page outside its header, cell pointers and live cells.

        Computed as the complement of what is in use rather than by following the freeblock
        chain, so the gap before the content area, freeblocks and the small fragments SQLite
        only counts (never lists) all come out.
        """
        data, start, kind, pointers, _, _ = self.btree_header(number)
        header_len = 12 if kind in (INTERIOR_INDEX, INTERIOR_TABLE) else 8
        used = [(0, start + header_len + 2 * len(pointers))]
        for pointer in pointers:
            used.append((pointer, pointer + self.parse_cell(data, kind, pointer)[3]))
        used.sort()
        regions, cursor = [], 0
        for begin, end in used + [(self.usable, self.usable)]:
            if begin > cursor:
                regions.append(Region(number, cursor, bytes(data[cursor:begin])))
            cursor = max(cursor, end)
        return regions

    def all_btree_roots(self):
        roots = [1] + [row[3] for row in self.schema() if row[0] in ("table", "index") and row[3]]
        return sorted(set(roots))


def sqlite_cells(path, table, wal=None):
    """Every live cell of `table`'s b-tree (a table or index name), in physical order."""
    image = SQLiteImage(path, wal)
    return image.cells(image.root_page(table))


def sqlite_wal_frames(wal_path):
    """Every frame in a WAL file, in file order, stale ones and torn tails included."""
    with open(wal_path, "rb") as f:
        wal = f.read()
    if len(wal) < WAL_HEADER:
        return []
    magic, _version, page_size, _ckpt, salt1, salt2, ck1, ck2 = struct.unpack(
        ">8I", wal[:WAL_HEADER])
    if magic not in (WAL_MAGIC_LE, WAL_MAGIC_BE):
        raise ValueError(f"{wal_path}: not a WAL file")
    order = ">" if magic == WAL_MAGIC_BE else "<"
    header_ok = _wal_checksum(wal[:24], 0, 0, order) == (ck1, ck2)
    s1, s2 = ck1, ck2
    frames, chain_ok, last_commit = [], header_ok, -1
    offset = WAL_HEADER
    while offset + WAL_FRAME_HEADER + page_size <= len(wal):
        page, commit, f_salt1, f_salt2, f_ck1, f_ck2 = struct.unpack(
            ">6I", wal[offset:offset + WAL_FRAME_HEADER])
        data = wal[offset + WAL_FRAME_HEADER:offset + WAL_FRAME_HEADER + page_size]
        salt_ok = (f_salt1, f_salt2) == (salt1, salt2)
        # The checksum runs on from the previous frame's; a reader (SQLite) stops at the
        # first frame that breaks the chain, so everything after it is invalid too.
        s1, s2 = _wal_checksum(wal[offset:offset + 8] + data, s1, s2, order)
        checksum_ok = (s1, s2) == (f_ck1, f_ck2)
        chain_ok = chain_ok and salt_ok and checksum_ok
        if chain_ok and commit:
            last_commit = len(frames)
        frames.append(Frame(len(frames), page, commit, salt_ok, data, checksum_ok,
                            chain_ok, offset))
        offset += WAL_FRAME_HEADER + page_size
    return [dataclasses.replace(fr, committed=fr.committed and fr.index <= last_commit)
            for fr in frames]


def _wal_checksum(data, s1, s2, order):
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & 0xFFFFFFFF
        s2 = (s2 + words[i + 1] + s1) & 0xFFFFFFFF
    return s1, s2


def sqlite_free_pages(path, wal=None):
    """The freelist's pages, trunk and leaf, with their raw bytes (deleted data lingers there
    unless secure_delete zeroed it)."""
    image = SQLiteImage(path, wal)
    out, trunk, seen = [], image.freelist_trunk, set()
    while trunk and trunk not in seen:
        seen.add(trunk)
        data = image.page(trunk)
        out.append(FreePage(trunk, "trunk", data))
        next_trunk, count = struct.unpack(">II", data[:8])
        for i in range(count):
            leaf = struct.unpack(">I", data[8 + 4 * i:12 + 4 * i])[0]
            out.append(FreePage(leaf, "leaf", image.page(leaf)))
        trunk = next_trunk
    return out


def sqlite_unallocated(path, wal=None):
    """Unallocated space of every b-tree page of every table and index (see Region)."""
    image = SQLiteImage(path, wal)
    out = []
    pages = {p for root in image.all_btree_roots() for p in image.btree_pages(root)}
    for number in sorted(pages):
        out.extend(image.unallocated(number))
    return out


def find_bytes(paths, needle):
    """Every (file, offset) where `needle` occurs, overlapping matches included. Missing files
    are skipped so a test can list db, -wal and -shm whether or not they exist."""
    hits = []
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        at = data.find(needle)
        while at != -1:
            hits.append(Hit(str(path), at))
            at = data.find(needle, at + 1)
    return hits


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------

FORENSICS_SCHEMA = "heard_forensics"
PG_BLOCK = 8192
# Line pointer flags (itemid.h).
LP_UNUSED, LP_NORMAL, LP_REDIRECT, LP_DEAD = 0, 1, 2, 3
HEAP_XMAX_INVALID = 0x0800
HEAP_XMAX_COMMITTED = 0x0400
HEAP_XMAX_IS_MULTI = 0x1000
HEAP_XMAX_LOCK_ONLY = 0x0080


@dataclasses.dataclass(frozen=True)
class Tuple:
    """One heap line pointer's tuple, live or dead.

    `live` is what a snapshot taken now would see, judged from the commit status of xmin
    and xmax (pg_xact_status), not from hint bits, which may not be set yet.
    `data` is the raw tuple data after the header (None for an unused/dead/redirect pointer
    that holds no tuple). `infomask`, `infomask2`, `bits` feed `pg_decode_tuple`.
    """
    block: int
    lp: int
    ctid: tuple
    xmin: int | None
    xmax: int | None
    live: bool
    data: bytes | None
    lp_flags: int = LP_NORMAL
    lp_off: int = 0
    infomask: int | None = None
    infomask2: int | None = None
    bits: str | None = None


@dataclasses.dataclass(frozen=True)
class WalBlock:
    """One block reference of a WAL record: which page it touches and what it carries."""
    relation: tuple  # (tablespace oid, database oid, relfilenode)
    fork: int
    block: int
    image: bytes | None  # full-page image, hole filled with zeros (None if none or compressed)
    data: bytes  # the record's per-block data (e.g. the new tuple of an INSERT)
    raw_image: bytes | None = None  # the image as stored (hole removed, maybe compressed)


@dataclasses.dataclass(frozen=True)
class WalRecord:
    lsn: str
    end_lsn: str
    xid: int
    resource_manager: str
    record_type: str
    description: str
    blocks: tuple
    main_data: bytes
    raw: bytes  # the whole record as written, WAL page headers removed

    def relations(self):
        return {block.relation for block in self.blocks}


def pg_extension_schema(conn, name):
    """Create an inspection extension if needed and return the schema its functions live in.

    Kept out of `public` when we create it: the test suite drops and recreates `public`
    between tests, which would drop the extension with it.
    """
    row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                       "ON n.oid = e.extnamespace WHERE e.extname = %s", (name,)).fetchone()
    if row is None:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {FORENSICS_SCHEMA}")
        conn.execute(f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {FORENSICS_SCHEMA}")
        return FORENSICS_SCHEMA
    return row[0]


def _relation_blocks(conn, table):
    size = conn.execute("SELECT pg_relation_size(%s::regclass)", (table,)).fetchone()[0]
    return size // PG_BLOCK


def pg_raw_pages(conn, table):
    """Raw bytes of every page of the table's main fork, in block order."""
    schema = pg_extension_schema(conn, "pageinspect")
    return [conn.execute(f"SELECT {schema}.get_raw_page(%s, %s)", (table, block)).fetchone()[0]
            for block in range(_relation_blocks(conn, table))]


def pg_heap_tuples(conn, table):
    """Every line pointer of every heap page, dead tuples included, in (block, lp) order."""
    schema = pg_extension_schema(conn, "pageinspect")
    out = []
    for block in range(_relation_blocks(conn, table)):
        rows = conn.execute(
            f"SELECT lp, lp_off, lp_flags, t_xmin::text::bigint, t_xmax::text::bigint, t_ctid,"
            f" t_infomask, t_infomask2, t_bits, t_data"
            f" FROM {schema}.heap_page_items({schema}.get_raw_page(%s, %s)) ORDER BY lp",
            (table, block)).fetchall()
        for lp, lp_off, flags, xmin, xmax, ctid, mask, mask2, bits, data in rows:
            out.append(Tuple(block, lp, _parse_tid(ctid), xmin, xmax,
                             _is_live(conn, flags, xmin, xmax, mask), data and bytes(data),
                             flags, lp_off, mask, mask2, bits))
    return out


def _parse_tid(text):
    if text is None:
        return None
    block, offset = text.strip("()").split(",")
    return int(block), int(offset)


def _is_live(conn, flags, xmin, xmax, infomask):
    """Visible to a new snapshot: inserter committed, no committed deleter.

    Hint bits may not be set yet on a copy, so ask the server about the xids themselves
    (pg_xact_status); only the "xmax is a lock, not a delete" flags are taken from the tuple.
    """
    if flags != LP_NORMAL or xmin is None:
        return False
    if _xact_status(conn, xmin) != "committed":
        return False
    if not xmax or infomask & (HEAP_XMAX_INVALID | HEAP_XMAX_LOCK_ONLY):
        return True
    if infomask & HEAP_XMAX_IS_MULTI:
        return not infomask & HEAP_XMAX_COMMITTED  # a multixact updater: rare, approximate
    return _xact_status(conn, xmax) != "committed"


def _xact_status(conn, xid):
    if xid < 3:  # bootstrap/frozen xids are always committed
        return "committed"
    cache = _XACT_CACHE.setdefault(id(conn), {})
    if cache.get(xid) not in ("committed", "aborted"):  # final states only are cached
        # xid8 needed; epoch 0 is right for a test cluster that has not wrapped around.
        cache[xid] = conn.execute("SELECT pg_xact_status(%s::text::xid8)",
                                  (str(xid),)).fetchone()[0]
    return cache[xid]


_XACT_CACHE = {}


def pg_columns(conn, table):
    """(attnum, name, type name, dropped, attlen) for every attribute, by attnum
    (attlen -1 marks a varlena: a length header, then the bytes)."""
    return conn.execute(
        "SELECT attnum, attname, format_type(atttypid, NULL), attisdropped, attlen"
        " FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", (table,)).fetchall()


def pg_decode_tuple(conn, table, tup, detoast=False):
    """The tuple's column values as a dict {column: value}, decoded from the raw bytes that
    tuple_data_split cuts out. Types this module does not know come back as raw bytes.

    A compressed or out-of-line (TOAST) value comes back as `Toasted(raw)` unless `detoast`
    asks the server to expand it; that fails for a dead tuple whose TOAST rows were vacuumed.
    """
    schema = pg_extension_schema(conn, "pageinspect")
    parts = conn.execute(
        f"SELECT {schema}.tuple_data_split(%s::regclass, %s, %s, %s, %s, %s)",
        (table, tup.data, tup.infomask, tup.infomask2, tup.bits, detoast)).fetchone()[0]
    values = {}
    for (_, name, type_name, dropped, attlen), raw in zip(pg_columns(conn, table), parts):
        if not dropped:
            # Detoasted varlenas come back as their bare payload, without a length header.
            values[name] = None if raw is None else decode_pg_value(
                type_name, bytes(raw), bare=detoast and attlen == -1)
    return values


@dataclasses.dataclass(frozen=True)
class Toasted:
    raw: bytes


_PG_EPOCH = datetime.datetime(2000, 1, 1)
_FIXED = {"smallint": "<h", "integer": "<i", "bigint": "<q", "real": "<f",
          "double precision": "<d", "oid": "<I"}
_TEXTUAL = {"text", "character varying", "character", "name", "json"}


def decode_pg_value(type_name, raw, bare=False):
    """One attribute's on-disk bytes (as tuple_data_split gives them) as a Python value.
    `bare`: a varlena's payload without its header (what do_detoast returns)."""
    base = type_name.split("(")[0]
    if base in _FIXED:
        return struct.unpack(_FIXED[base], raw)[0]
    if base == "boolean":
        return raw != b"\x00"
    if base == "uuid":
        return uuid.UUID(bytes=raw)
    if base == "timestamp without time zone":
        return _PG_EPOCH + datetime.timedelta(microseconds=struct.unpack("<q", raw)[0])
    if base == "timestamp with time zone":
        return (_PG_EPOCH + datetime.timedelta(microseconds=struct.unpack("<q", raw)[0])
                ).replace(tzinfo=datetime.timezone.utc)
    if base == "date":
        return (_PG_EPOCH + datetime.timedelta(days=struct.unpack("<i", raw)[0])).date()
    if base == "name":
        return raw.rstrip(b"\x00").decode()
    body = raw if bare else _varlena_body(raw)
    if body is None:
        return Toasted(raw)
    if base == "bytea":
        return body
    if base in _TEXTUAL:
        return body.decode("utf-8", errors="surrogateescape")
    return raw


def _varlena_body(raw):
    """The payload of a varlena: 1-byte header (low bit set, length in the other 7 bits) or
    4-byte header (low two bits 00 = plain); anything else is compressed or a TOAST pointer."""
    first = raw[0]
    if first == 0x01:  # external TOAST pointer
        return None
    if first & 0x01:
        return raw[1:first >> 1]
    header = struct.unpack("<I", raw[:4])[0]
    if header & 0x03:
        return None  # compressed inline
    return raw[4:header >> 2]


def pg_wal_lsn(conn):
    """The current WAL insert position, as text ('0/1A2B3C4'): mark it before a write."""
    return conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]


def pg_relation_id(conn, table):
    """(tablespace oid, database oid, relfilenode) as WAL block references name a table."""
    return conn.execute(
        "SELECT CASE WHEN c.reltablespace = 0 THEN d.dattablespace ELSE c.reltablespace END,"
        " d.oid, pg_relation_filenode(c.oid)"
        " FROM pg_class c, pg_database d WHERE c.oid = %s::regclass"
        " AND d.datname = current_database()", (table,)).fetchone()


def pg_wal_records(conn, start_lsn, end_lsn=None, relation=None):
    """WAL records from `start_lsn` (to `end_lsn`, else the end of flushed WAL), parsed from
    the raw WAL bytes: xid, block references with their data and full-page images, main data.

    `relation` (a table name) keeps only records touching that table's main relfilenode.
    Records whose WAL segment was already recycled are not readable; take the start LSN
    shortly before the writes under test.
    """
    schema = pg_extension_schema(conn, "pg_walinspect")
    flush = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()[0]
    if end_lsn is None or _lsn(end_lsn) > _lsn(flush):
        end_lsn = flush
    if _lsn(start_lsn) >= _lsn(end_lsn):
        return []
    rows = conn.execute(
        f"SELECT start_lsn::text, end_lsn::text, xid::text::bigint, resource_manager,"
        f" record_type, description FROM {schema}.pg_get_wal_records_info(%s, %s)",
        (start_lsn, end_lsn)).fetchall()
    wanted = pg_relation_id(conn, relation) if relation else None
    reader = _WalReader(conn)
    out = []
    for lsn, end, xid, rmgr, rtype, description in rows:
        raw = reader.record(_lsn(lsn))
        try:
            blocks, main = _parse_wal_record(raw)
        except (ValueError, IndexError, struct.error):
            # A layout the parser does not split (some rmgrs' records): the record's raw
            # bytes are still there to search, which is what an adversary does first.
            blocks, main = (), b""
        record = WalRecord(lsn, end, xid, rmgr, rtype, description, tuple(blocks), main, raw)
        if wanted is None or tuple(wanted) in record.relations():
            out.append(record)
    return out


def _lsn(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class _WalReader:
    """Raw WAL bytes through pg_read_binary_file, one segment-sized read cached per segment
    slice, with the page headers (short 24 bytes, long 40 at a segment start) stepped over."""

    def __init__(self, conn):
        self.conn = conn
        self.segment = int(conn.execute(
            "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'").fetchone()[0])
        self.page = int(conn.execute(
            "SELECT setting FROM pg_settings WHERE name = 'wal_block_size'").fetchone()[0])
        self.timeline = conn.execute(
            "SELECT timeline_id FROM pg_control_checkpoint()").fetchone()[0]
        self.cache = {}

    def page_bytes(self, position):
        start = position - position % self.page
        if start not in self.cache:
            segno = start // self.segment
            per_id = 0x100000000 // self.segment
            name = f"{self.timeline:08X}{segno // per_id:08X}{segno % per_id:08X}"
            self.cache[start] = bytes(self.conn.execute(
                "SELECT pg_read_binary_file(%s, %s, %s)",
                (f"pg_wal/{name}", start % self.segment, self.page)).fetchone()[0])
        return self.cache[start]

    def header_size(self, position):
        return 40 if position % self.segment == 0 else 24

    def record(self, lsn):
        data, position = bytearray(), lsn
        total = None
        while total is None or len(data) < total:
            in_page = position % self.page
            if in_page == 0:
                position += self.header_size(position)
                continue
            page = self.page_bytes(position)
            want = (total - len(data)) if total is not None else 4
            chunk = page[in_page:in_page + want]
            data += chunk
            position += len(chunk)
            if total is None and len(data) >= 4:
                total = struct.unpack("<I", data[:4])[0]
        return bytes(data[:total])


# Block ids after the record header (xlogrecord.h).
XLR_BLOCK_ID_DATA_SHORT, XLR_BLOCK_ID_DATA_LONG = 255, 254
XLR_BLOCK_ID_ORIGIN, XLR_BLOCK_ID_TOPLEVEL_XID = 253, 252
BKPBLOCK_HAS_IMAGE, BKPBLOCK_HAS_DATA, BKPBLOCK_SAME_REL = 0x10, 0x20, 0x80
BKPIMAGE_HAS_HOLE = 0x01
BKPIMAGE_COMPRESSED = 0x04 | 0x08 | 0x10  # pglz, lz4, zstd (PostgreSQL 15)


def _parse_wal_record(raw):
    """Split an XLogRecord into its block references and main data (PostgreSQL 15 layout).

    Header: 24 bytes (tot_len, xid, prev, info, rmid, pad, crc); then block headers, each
    with an optional image header and relation; then, in the same order, every block's image
    and data; then the main data.
    """
    pos, headers, main_len, relation = 24, [], 0, None
    while pos < len(raw):
        block_id = raw[pos]
        if block_id == XLR_BLOCK_ID_DATA_SHORT:
            main_len, pos = raw[pos + 1], pos + 2
            break
        if block_id == XLR_BLOCK_ID_DATA_LONG:
            main_len, pos = struct.unpack("<I", raw[pos + 1:pos + 5])[0], pos + 5
            break
        if block_id == XLR_BLOCK_ID_ORIGIN:
            pos += 3
            continue
        if block_id == XLR_BLOCK_ID_TOPLEVEL_XID:
            pos += 5
            continue
        fork_flags, data_len = raw[pos + 1], struct.unpack("<H", raw[pos + 2:pos + 4])[0]
        pos += 4
        image = None
        if fork_flags & BKPBLOCK_HAS_IMAGE:
            img_len, hole_off, info = struct.unpack("<HHB", raw[pos:pos + 5])
            pos += 5
            hole_len = 0
            if info & BKPIMAGE_HAS_HOLE:
                if info & BKPIMAGE_COMPRESSED:
                    hole_len = struct.unpack("<H", raw[pos:pos + 2])[0]
                    pos += 2
                else:
                    hole_len = PG_BLOCK - img_len
            image = (img_len, hole_off, hole_len, info)
        if not fork_flags & BKPBLOCK_SAME_REL:
            relation = struct.unpack("<III", raw[pos:pos + 12])
            pos += 12
        block = struct.unpack("<I", raw[pos:pos + 4])[0]
        pos += 4
        headers.append((relation, fork_flags & 0x0F, block, image, data_len))
    blocks = []
    for relation, fork, block, image, data_len in headers:
        full = stored = None
        if image:
            img_len, hole_off, hole_len, info = image
            stored = raw[pos:pos + img_len]
            pos += img_len
            if not info & BKPIMAGE_COMPRESSED:
                full = stored[:hole_off] + bytes(hole_len) + stored[hole_off:]
        data = raw[pos:pos + data_len]
        pos += data_len
        blocks.append(WalBlock(relation, fork, block, full, data, stored))
    if pos + main_len != len(raw):
        # A layout this parser does not know (another major version): fail loudly rather
        # than hand a test a wrong split.
        raise ValueError(f"WAL record parse ends at {pos + main_len}, record is {len(raw)}")
    return blocks, raw[pos:pos + main_len]


def pg_wal_search(records, needle):
    """Records whose raw bytes contain `needle` (block data, images and main data alike)."""
    return [record for record in records if needle in record.raw]

