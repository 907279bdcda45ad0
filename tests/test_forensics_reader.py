"""The forensic reader (tests/forensics.py) reads exactly what SQL sees, plus what SQL hides.

Each test builds a small database with the sqlite3 module or psycopg, then checks the
reader against SQL (same rows), against the file format (physical order, free space
accounting) and against known leaks (deleted rows in free space, stale WAL frames).
"""
import ctypes
import ctypes.util
import datetime
import os
import random
import shutil
import sqlite3
import struct
import uuid

import psycopg
import pytest

from tests import forensics as F

pytestmark = pytest.mark.pristine
PG_URL = os.environ.get("HEARD_TEST_DATABASE_URL")


def connect(path, **pragmas):
    conn = sqlite3.connect(path, isolation_level=None)
    for name, value in pragmas.items():
        conn.execute(f"PRAGMA {name}={value}")
    return conn


def rows_of(cells):
    """Rowid-table cells as SQL's `SELECT rowid, *` rows (the INTEGER PRIMARY KEY column is
    stored as NULL and stands for the rowid)."""
    return sorted((c.rowid,) + tuple(c.rowid if v is None and i == 0 else v
                                     for i, v in enumerate(c.values)) for c in cells)


# --- records, varints, serial types ---------------------------------------------------------

EDGE_VALUES = [None, 0, 1, -1, 127, -128, 32767, -32768, 8388607, -8388608, 2**31 - 1,
               -2**31, 2**47 - 1, -2**47, 2**63 - 1, -2**63, 1.5, -0.0, 1e300, "", "é✓",
               b"", b"\x00\xff"]


def test_every_serial_type_and_nine_byte_varints(tmp_path):
    db = str(tmp_path / "types.db")
    conn = connect(db)
    conn.execute("CREATE TABLE t (v)")
    # Rowids at the extremes need 9-byte varints (negative numbers are 64-bit unsigned).
    for rowid, value in zip([-2**63, -1, 2**63 - 1] + list(range(1, 100)), EDGE_VALUES):
        conn.execute("INSERT INTO t (rowid, v) VALUES (?, ?)", (rowid, value))
    expected = conn.execute("SELECT rowid, v FROM t").fetchall()
    conn.close()
    got = sorted(((c.rowid, c.values[0]) for c in F.sqlite_cells(db, "t")),
                 key=lambda r: r[0])
    assert got == expected
    assert [type(v) for _, v in got] == [type(v) for _, v in expected]


def test_read_varint_matches_the_format():
    assert F.read_varint(b"\x7f", 0) == (127, 1)
    assert F.read_varint(b"\x81\x00", 0) == (128, 2)
    assert F.read_varint(b"\xff" * 9, 0) == (-1, 9)
    assert F.read_varint(b"\x00\x80\x80\x80\x80\x80\x80\x80\x80\x01", 1) == (1, 10)


# --- rowid tables: every page size, overflow, interior pages --------------------------------

@pytest.mark.parametrize("page_size,encoding", [(512, "UTF-8"), (1024, "UTF-16le"),
                                                (4096, "UTF-16be"), (65536, "UTF-8")])
def test_rowid_table_matches_sql(tmp_path, page_size, encoding):
    db = str(tmp_path / "rowid.db")
    conn = connect(db, page_size=page_size, encoding=f"'{encoding}'")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, body BLOB, score REAL)")
    rnd = random.Random(page_size)
    conn.execute("BEGIN")
    for i in range(400):
        size = rnd.choice([0, 10, page_size // 3, page_size * 3, 70000])
        conn.execute("INSERT INTO t (name, body, score) VALUES (?, ?, ?)",
                     (f"name {i} ✓", rnd.randbytes(size), i / 7))
    conn.execute("COMMIT")
    expected = sorted(conn.execute("SELECT rowid, * FROM t").fetchall())
    conn.close()

    cells = F.sqlite_cells(db, "t")
    assert rows_of(cells) == expected
    assert [(c.page, c.offset) for c in cells] == sorted((c.page, c.offset) for c in cells)
    image = F.SQLiteImage(db)
    assert image.page_size == page_size
    root = image.root_page("t")
    assert image.btree_header(root)[2] == F.INTERIOR_TABLE  # deep enough to test interiors


def test_reserved_bytes_shrink_the_usable_page(tmp_path):
    # Reserved bytes (used by encryption/checksum extensions) can only be set through the C
    # API's file control, which Python's sqlite3 does not expose: drive libsqlite3 directly.
    libname = ctypes.util.find_library("sqlite3")
    if not libname:
        pytest.skip("libsqlite3 not found")
    lib = ctypes.CDLL(libname)
    db = str(tmp_path / "reserved.db")
    handle = ctypes.c_void_p()
    assert lib.sqlite3_open(db.encode(), ctypes.byref(handle)) == 0
    reserve = ctypes.c_int(40)
    SQLITE_FCNTL_RESERVE_BYTES = 38
    lib.sqlite3_file_control(handle, b"main", SQLITE_FCNTL_RESERVE_BYTES, ctypes.byref(reserve))
    statements = ["PRAGMA page_size=1024",
                  "CREATE TABLE t (k BLOB PRIMARY KEY, v) WITHOUT ROWID",
                  "CREATE TABLE r (v)"]
    for statement in statements:
        assert lib.sqlite3_exec(handle, statement.encode(), None, None, None) == 0
    lib.sqlite3_close(handle)

    conn = connect(db)
    rnd = random.Random(40)
    for i in range(200):
        conn.execute("INSERT INTO t VALUES (?, ?)", (rnd.randbytes(16), rnd.randbytes(i * 13)))
        conn.execute("INSERT INTO r VALUES (?)", (rnd.randbytes(i * 11),))
    expected_t = sorted(conn.execute("SELECT * FROM t").fetchall())
    expected_r = sorted(conn.execute("SELECT rowid, v FROM r").fetchall())
    conn.close()
    image = F.SQLiteImage(db)
    assert (image.reserved, image.usable) == (40, 1024 - 40)
    assert sorted(c.values for c in F.sqlite_cells(db, "t")) == expected_t
    assert sorted((c.rowid,) + c.values for c in F.sqlite_cells(db, "r")) == expected_r


# --- WITHOUT ROWID tables: index b-trees, and the insertion-order leak ---------------------

def test_without_rowid_table_matches_sql_with_interior_records(tmp_path):
    db = str(tmp_path / "worid.db")
    conn = connect(db, page_size=1024)
    conn.execute("CREATE TABLE w (id BLOB PRIMARY KEY, answer TEXT, n INT) WITHOUT ROWID")
    conn.execute("CREATE INDEX w_n ON w (n)")
    rnd = random.Random(7)
    conn.execute("BEGIN")
    for i in range(500):
        conn.execute("INSERT INTO w VALUES (?, ?, ?)",
                     (rnd.randbytes(16), "x" * rnd.choice([1, 300, 3000]), i))
    conn.execute("COMMIT")
    expected = sorted(conn.execute("SELECT * FROM w").fetchall())
    expected_index = sorted(conn.execute("SELECT n, id FROM w").fetchall())
    conn.close()

    cells = F.sqlite_cells(db, "w")
    assert sorted(c.values for c in cells) == expected
    assert all(c.rowid is None for c in cells)
    image = F.SQLiteImage(db)
    root = image.root_page("w")
    assert image.btree_header(root)[2] == F.INTERIOR_INDEX
    # Records in interior cells are rows too; the reader must not drop them.
    interior = {p for p in image.btree_pages(root)
                if image.btree_header(p)[2] == F.INTERIOR_INDEX}
    assert any(c.page in interior for c in cells)
    # An ordinary index is an index b-tree of (n, primary key).
    assert sorted(c.values for c in F.sqlite_cells(db, "w_n")) == expected_index


def test_without_rowid_cells_sit_in_insertion_order(tmp_path):
    """The leak the audit found: keys are sorted, but bytes are not. Inside a page the cell
    content area grows downward, so the first row inserted sits at the highest offset."""
    db = str(tmp_path / "order.db")
    conn = connect(db)
    conn.execute("CREATE TABLE answers (id BLOB PRIMARY KEY, vector TEXT) WITHOUT ROWID")
    rnd = random.Random(3)
    inserted = [(rnd.randbytes(16), f"answer-{i}") for i in range(30)]
    for row in inserted:
        conn.execute("INSERT INTO answers VALUES (?, ?)", row)
    assert conn.execute("SELECT * FROM answers").fetchall() == sorted(inserted)
    conn.close()

    cells = F.sqlite_cells(db, "answers")
    assert len({c.page for c in cells}) == 1
    by_offset = [c.values for c in sorted(cells, key=lambda c: -c.offset)]
    assert by_offset == [tuple(row) for row in inserted]
    assert by_offset != sorted(by_offset)
    # ...and the same order is visible to anyone grepping the file.
    hits = F.find_bytes([db], b"answer-")
    assert [h.offset for h in hits] == sorted(h.offset for h in hits)
    assert len(hits) == 30


# --- deleted rows: unallocated space, free pages, secure_delete ----------------------------

def _delete_scenario(db, secure):
    conn = connect(db, page_size=1024, secure_delete="ON" if secure else "OFF")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)")
    conn.execute("CREATE TABLE w (k INT PRIMARY KEY, note TEXT) WITHOUT ROWID")
    conn.execute("BEGIN")
    for i in range(300):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, f"GHOST-T-{i:04d}-" + "." * 60))
        conn.execute("INSERT INTO w VALUES (?, ?)", (i, f"GHOST-W-{i:04d}-" + "." * 60))
    conn.execute("COMMIT")
    # A few rows from the middle of pages (freeblocks) and whole runs (freed pages).
    conn.execute("DELETE FROM t WHERE id IN (5, 17, 101) OR id BETWEEN 150 AND 250")
    conn.execute("DELETE FROM w WHERE k IN (5, 17, 101) OR k BETWEEN 150 AND 250")
    conn.close()


def _free_space_accounting(image):
    """Free bytes per page as SQLite counts them: gap + freeblock chain + fragment count."""
    totals = {}
    for root in image.all_btree_roots():
        for number in image.btree_pages(root):
            data, start, kind, pointers, content, free = image.btree_header(number)
            header_len = 12 if kind in (F.INTERIOR_INDEX, F.INTERIOR_TABLE) else 8
            total = content - (start + header_len + 2 * len(pointers)) + data[start + 7]
            while free:
                free, size = struct.unpack(">HH", data[free:free + 4])
                total += size
            totals[number] = total
    return totals


def test_deleted_rows_linger_in_unallocated_and_free_pages(tmp_path):
    db = str(tmp_path / "deleted.db")
    _delete_scenario(db, secure=False)
    regions = F.sqlite_unallocated(db)
    free_pages = F.sqlite_free_pages(db)
    unallocated = b"".join(r.data for r in regions)
    freed = b"".join(p.data for p in free_pages)

    # Deleted cells whose page survived (the freeblock header overwrites only their first
    # 4 bytes, so the marker is still there).
    for marker in (b"GHOST-T-0017-", b"GHOST-W-0017-", b"GHOST-T-0101-"):
        assert marker in unallocated
    # Whole pages emptied by the run delete went to the freelist, content intact.
    assert {p.kind for p in free_pages} == {"trunk", "leaf"}
    assert b"GHOST-T-0200-" in freed + unallocated and b"GHOST-W-0200-" in freed + unallocated
    # Live rows are not in unallocated space, and the reader's regions add up to exactly
    # what SQLite's own header accounting says is free.
    assert b"GHOST-T-0018-" not in unallocated
    image = F.SQLiteImage(db)
    per_page = {}
    for region in regions:
        per_page[region.page] = per_page.get(region.page, 0) + len(region.data)
    assert per_page == {p: n for p, n in _free_space_accounting(image).items() if n}
    assert image.freelist_count == len(free_pages)


def test_secure_delete_leaves_nothing_to_find(tmp_path):
    db = str(tmp_path / "secure.db")
    _delete_scenario(db, secure=True)
    for i in [5, 17, 101] + list(range(150, 251)):
        for table in (b"T", b"W"):
            assert F.find_bytes([db], b"GHOST-%s-%04d-" % (table, i)) == []
    assert F.find_bytes([db], b"GHOST-T-0018-") != []
    assert all(set(p.data) <= {0} or p.kind == "trunk" for p in F.sqlite_free_pages(db))


# --- WAL ------------------------------------------------------------------------------------

def test_wal_copy_reads_as_of_last_commit_and_keeps_stale_frames(tmp_path):
    db = str(tmp_path / "wal.db")
    conn = connect(db, page_size=1024, journal_mode="WAL", wal_autocheckpoint=0)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)")
    conn.execute("CREATE TABLE w (k BLOB PRIMARY KEY, note TEXT) WITHOUT ROWID")
    conn.execute("BEGIN")
    for i in range(60):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, f"FIRST-{i:03d}-" + "." * 40))
        conn.execute("INSERT INTO w VALUES (?, ?)", (bytes([i]) * 16, f"FIRST-{i:03d}"))
    conn.execute("COMMIT")
    conn.execute("UPDATE t SET note = 'SECOND-' || id WHERE id < 5")
    conn.execute("DELETE FROM w WHERE note = 'FIRST-007'")
    before_checkpoint = sorted(conn.execute("SELECT rowid, * FROM t").fetchall())
    assert conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[0] == 0
    # The next writer restarts the WAL from its start with new salts; frames beyond what
    # it writes keep the old salts: stale, ignored by SQLite, readable by anyone.
    conn.execute("UPDATE t SET note = 'THIRD' WHERE id = 1")
    expected_t = sorted(conn.execute("SELECT rowid, * FROM t").fetchall())
    expected_w = sorted(conn.execute("SELECT * FROM w").fetchall())
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    shutil.copy(db + "-wal", str(copy) + "-wal")
    conn.close()

    wal = str(copy) + "-wal"
    frames = F.sqlite_wal_frames(wal)
    fresh = [f for f in frames if f.salt_ok]
    stale = [f for f in frames if not f.salt_ok]
    assert fresh and stale and all(f.index < s.index for f in fresh for s in stale)
    assert all(f.committed for f in fresh) and not any(f.committed for f in stale)
    assert fresh[-1].commit_size > 0 and all(len(f.data) == 1024 for f in frames)
    assert any(b"FIRST-001-" in f.data for f in stale)
    assert [f.index for f in frames] == list(range(len(frames)))

    assert rows_of(F.sqlite_cells(str(copy), "t", wal=wal)) == expected_t
    assert sorted(c.values for c in F.sqlite_cells(str(copy), "w", wal=wal)) == expected_w
    # Without its WAL, the copy shows the checkpointed state.
    assert rows_of(F.sqlite_cells(str(copy), "t")) == before_checkpoint


def test_wal_frames_after_the_last_commit_are_listed_not_used(tmp_path):
    db = str(tmp_path / "spill.db")
    conn = connect(db, page_size=1024, journal_mode="WAL", wal_autocheckpoint=0,
                   cache_size=5)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'committed')")
    expected = conn.execute("SELECT rowid, * FROM t").fetchall()
    conn.execute("BEGIN")
    for i in range(2, 400):  # far more than 5 pages: the cache spills into the WAL
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, f"PENDING-{i:04d}-" + "." * 50))
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    shutil.copy(db + "-wal", str(copy) + "-wal")
    conn.execute("ROLLBACK")
    conn.close()

    wal = str(copy) + "-wal"
    frames = F.sqlite_wal_frames(wal)
    pending = [f for f in frames if not f.committed]
    assert pending and all(f.salt_ok and f.checksum_ok and f.commit_size == 0 for f in pending)
    assert any(b"PENDING-0" in f.data for f in pending)
    assert rows_of(F.sqlite_cells(str(copy), "t", wal=wal)) == expected
    # SQLite itself agrees with the reader about what the copy holds.
    check = sqlite3.connect(str(copy))
    assert check.execute("SELECT rowid, * FROM t").fetchall() == expected
    check.close()


def test_a_corrupt_frame_ends_the_valid_wal(tmp_path):
    db = str(tmp_path / "torn.db")
    conn = connect(db, journal_mode="WAL", wal_autocheckpoint=0)
    conn.execute("CREATE TABLE t (v TEXT)")
    states = []
    for i in range(4):
        conn.execute("INSERT INTO t VALUES (?)", (f"tx{i}",))
        states.append(sorted(conn.execute("SELECT rowid, v FROM t").fetchall()))
    copy = str(tmp_path / "copy.db")
    shutil.copy(db, copy)
    shutil.copy(db + "-wal", copy + "-wal")
    conn.close()
    frames = F.sqlite_wal_frames(copy + "-wal")
    commits = [f for f in frames if f.commit_size]
    assert len(commits) == 5  # CREATE TABLE + 4 inserts
    victim = commits[3]  # the third insert's commit frame
    with open(copy + "-wal", "r+b") as f:
        f.seek(victim.offset + F.WAL_FRAME_HEADER + 500)
        f.write(b"\xde\xad")
    frames = F.sqlite_wal_frames(copy + "-wal")
    assert not frames[victim.index].checksum_ok
    assert [f.committed for f in frames] == [f.index < commits[2].index + 1 for f in frames]
    got = sorted((c.rowid,) + c.values for c in F.sqlite_cells(copy, "t", wal=copy + "-wal"))
    assert got == states[1]
    check = sqlite3.connect(copy)
    assert sorted(check.execute("SELECT rowid, v FROM t").fetchall()) == states[1]
    check.close()


def test_find_bytes_lists_every_occurrence(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"xxaaaxx")
    b.write_bytes(b"aa")
    hits = F.find_bytes([str(a), str(tmp_path / "missing"), str(b)], b"aa")
    assert hits == [F.Hit(str(a), 2), F.Hit(str(a), 3), F.Hit(str(b), 0)]


# --- PostgreSQL -----------------------------------------------------------------------------

@pytest.fixture
def pg():
    conn = psycopg.connect(PG_URL, autocommit=True)
    conn.execute("DROP SCHEMA IF EXISTS forensics_reader_test CASCADE")
    conn.execute("CREATE SCHEMA forensics_reader_test")
    conn.execute("SET search_path = forensics_reader_test, public")
    try:
        yield conn
    finally:
        conn.execute("DROP SCHEMA IF EXISTS forensics_reader_test CASCADE")
        conn.close()


def _make_pg_table(pg):
    pg.execute("CREATE TABLE answers (id uuid PRIMARY KEY, note text, body bytea, n integer,"
               " big bigint, ok boolean, score double precision, small smallint, r real,"
               " at timestamp, day date, label varchar(20))"
               " WITH (autovacuum_enabled = false)")
    rows = [(uuid.UUID(int=i * 7919), f"NOTE-{i:03d}", bytes([i]) * (i * 3), i, i * 2**40,
             i % 2 == 0, i / 4, -i, i + 0.5,
             datetime.datetime(2026, 1, 1) + datetime.timedelta(seconds=i * 3601.25),
             datetime.date(1999, 12, 1) + datetime.timedelta(days=i), None if i % 3 else "v")
            for i in range(40)]
    with pg.cursor() as cur:
        cur.executemany("INSERT INTO answers VALUES"
                        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return rows


@pytest.mark.postgresql
def test_pg_heap_tuples_show_live_and_dead_rows(pg):
    _make_pg_table(pg)
    pg.execute("DELETE FROM answers WHERE n = 3")
    pg.execute("UPDATE answers SET note = 'CHANGED' WHERE n = 4")
    aborted = psycopg.connect(PG_URL)
    aborted.execute("SET search_path = forensics_reader_test")
    aborted.execute("INSERT INTO answers (id, note, n) VALUES (%s, 'ABORTED', 99)",
                    (uuid.UUID(int=1),))
    aborted.rollback()
    aborted.close()

    tuples = F.pg_heap_tuples(pg, "answers")
    live = [t for t in tuples if t.live]
    dead = [t for t in tuples if not t.live]
    columns = ["id", "note", "body", "n", "big", "ok", "score", "small", "r", "at", "day",
               "label"]
    expected = pg.execute(f"SELECT ctid::text, xmin::text::bigint, {', '.join(columns)}"
                          " FROM answers").fetchall()
    got = []
    for t in live:
        values = F.pg_decode_tuple(pg, "answers", t)
        assert F.pg_decode_tuple(pg, "answers", t, detoast=True) == values
        got.append((f"({t.block},{t.lp})", t.xmin) + tuple(values[c] for c in columns))
    assert sorted(got, key=str) == sorted(
        [(r[0], r[1]) + tuple(bytes(v) if isinstance(v, memoryview) else v for v in r[2:])
         for r in expected], key=str)
    dead_notes = sorted(F.pg_decode_tuple(pg, "answers", t)["note"] for t in dead)
    assert dead_notes == ["ABORTED", "NOTE-003", "NOTE-004"]
    assert [(t.block, t.lp) for t in tuples] == sorted((t.block, t.lp) for t in tuples)
    # A compressible long value is stored compressed: raw unless the server expands it.
    pg.execute("INSERT INTO answers (id, note, n) VALUES (%s, %s, 500)",
               (uuid.UUID(int=5), "squeeze " * 500))
    (long,) = [t for t in F.pg_heap_tuples(pg, "answers") if t.live
               and F.pg_decode_tuple(pg, "answers", t)["n"] == 500]
    assert isinstance(F.pg_decode_tuple(pg, "answers", long)["note"], F.Toasted)
    assert F.pg_decode_tuple(pg, "answers", long, detoast=True)["note"] == "squeeze " * 500
    # ctid and xmin record insertion order: the very leak adversary 2 reads.
    first = [t for t in live if F.pg_decode_tuple(pg, "answers", t)["n"] in (0, 1, 2)]
    assert [t.lp for t in first] == [1, 2, 3] and len({t.xmin for t in first}) == 1


@pytest.mark.postgresql
def test_pg_raw_pages_hold_deleted_bytes(pg):
    _make_pg_table(pg)
    pg.execute("DELETE FROM answers WHERE n = 12")
    pages = F.pg_raw_pages(pg, "answers")
    size = pg.execute("SELECT pg_relation_size('answers')").fetchone()[0]
    assert len(pages) == size // 8192 and all(len(p) == 8192 for p in pages)
    assert any(b"NOTE-012" in p for p in pages)
    assert sum(p.count(b"NOTE-0") for p in pages) == 40


@pytest.mark.postgresql
def test_pg_wal_records_find_a_write_by_transaction(pg):
    _make_pg_table(pg)
    pg.execute("CHECKPOINT")  # the next change to the page writes a full-page image
    start = F.pg_wal_lsn(pg)
    with pg.transaction():
        xid = pg.execute("SELECT txid_current()").fetchone()[0]
        pg.execute("INSERT INTO answers (id, note, n) VALUES (%s, 'WAL-MARKER-1', 100)",
                   (uuid.UUID(int=2),))
    with pg.transaction():
        xid2 = pg.execute("SELECT txid_current()").fetchone()[0]
        pg.execute("INSERT INTO answers (id, note, n) VALUES (%s, 'WAL-MARKER-2', 101)",
                   (uuid.UUID(int=3),))
    records = F.pg_wal_records(pg, start, relation="answers")
    relation = tuple(F.pg_relation_id(pg, "answers"))
    assert records and all(relation in r.relations() for r in records)
    assert all(r.resource_manager in ("Heap", "Heap2") for r in records)

    first = F.pg_wal_search(records, b"WAL-MARKER-1")
    assert {r.xid for r in first} == {xid}
    # The first touch after a checkpoint carries the whole page, old rows included.
    image_record = [r for r in first if any(b.image for b in r.blocks)]
    assert image_record
    image = next(b.image for b in image_record[0].blocks if b.image)
    assert len(image) == 8192 and b"NOTE-000" in image and b"WAL-MARKER-1" in image
    # The second insert logs only the new tuple, in its block data.
    second = F.pg_wal_search(records, b"WAL-MARKER-2")
    assert {r.xid for r in second} == {xid2}
    assert any(b"WAL-MARKER-2" in b.data for r in second for b in r.blocks)
    assert any(r.record_type == "INSERT" for r in second)

    end = F.pg_wal_lsn(pg)
    everything = F.pg_wal_records(pg, start, end)
    assert {r.lsn for r in records} <= {r.lsn for r in everything}
    assert F.pg_wal_records(pg, end, start) == []
