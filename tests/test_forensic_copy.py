"""Issue 13's forensic attacks, kept for good: a copy of the database (and the key file)
taken after every step of a round must not tie an answer to fewer than k people.

Each attack is a function that returns what it managed to learn. It runs on the audit
of today's code, where it must learn nothing beyond the documented limits, and on the
same audit with the one defence it tests taken out (forensic_scenario.weakened), where
it must succeed — an attack that cannot succeed proves nothing.
"""
import os
from collections import Counter, defaultdict

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto import blobs
from tests import forensic_scenario as scenario
from tests.forensic_scenario import K

pytestmark = pytest.mark.pristine
BLOB_PREFIX = 64  # bytes that identify a sealed blob: header, nonce, ciphertext's start


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        return scenario.run(str(tmp_path_factory.mktemp("audit")), patch)


_WEAK_AUDITS = {}


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    """weak(name): the audit replayed with one defence taken out (run once each)."""
    def replay(name):
        if name not in _WEAK_AUDITS:
            with pytest.MonkeyPatch.context() as patch, scenario.weakened(patch, name):
                _WEAK_AUDITS[name] = scenario.run(
                    str(tmp_path_factory.mktemp(f"weak-{name}")), patch)
        return _WEAK_AUDITS[name]
    yield replay
    _WEAK_AUDITS.clear()


# -- adversary 2: the database without the key file ---------------------------------
def small_plain_groups(audit):
    """Stored groups whose plain figures describe fewer than k people: too few people
    counted in a group an invitation names, too few respondents, or a question
    answered by too few."""
    found = [("counted", team, n) for team, n in audit.invited_per_group.items() if n < K]
    found += [("respondents", team, n) for team, n in audit.tallies.items() if 0 < n < K]
    per_question = Counter()
    for team, question, _value, count in audit.answer_counts:
        per_question[team, question] += count
    found += [("answers", key, n) for key, n in per_question.items() if 0 < n < K]
    return found


def batches_seen(audit):
    """Sizes of what each step added to each group's released answers, as a copy
    after every step shows them."""
    sizes, before = [], set()
    for copy in audit.copies:
        rows = scenario.physical_rows(audit, copy, "response")
        new = [team for row_id, team in rows if row_id not in before]
        sizes += list(Counter(new).values())
        before = {row_id for row_id, _team in rows}
    return sizes


def answer_vectors_from_tally_order(audit):
    """The F3 attack: tally rows a release creates, read in the order they were written;
    the first run that names each question once is taken as one person's answers.
    Returns the vectors that match between 1 and k - 1 people."""
    recovered, before = [], set()
    for copy in audit.copies:
        rows = scenario.physical_rows(audit, copy, "answer_count")
        keys = [(team, question, value) for team, question, value, _count in rows]
        by_team = defaultdict(list)
        for key in keys:
            if key not in before:
                by_team[key[0]].append(key)
        for team, new in by_team.items():
            vector = {}
            for _team, question, value in new:
                if question in vector:
                    break
                vector[question] = value
            if len(vector) == len(audit.scored_questions):
                matching = [p for p, values in audit.answers.items() if values == vector]
                if 0 < len(matching) < K:
                    recovered.append((copy.label, team, matching))
        before = set(keys)
    return recovered


def arrival_order_agreement(audit, copy):
    """How often two neighbouring participation rows of the copy are in the order the
    two people answered: 0.5 says nothing, 1.0 is the arrival order itself (F1)."""
    position = {person: n for n, person in enumerate(audit.arrival)}
    people = [row[0] for row in scenario.physical_rows(audit, copy, "participation")]
    pairs = list(zip(people, people[1:]))
    return sum(position[a] < position[b] for a, b in pairs) / len(pairs)


# -- adversaries 3 and 4: the copy and the key file -----------------------------------
def exposed_submissions(audit, index):
    """Submissions whose sealed blob the copy still holds *and* a key it offers (the
    key file's data keys, any pending key left in the copy) opens. Each is tied to
    its author: it was written in the transaction of their participation row.

    A blob larger than a page is split (SQLite overflow pages, PostgreSQL TOAST
    chunks); the attacker here is granted the rest of it wherever its first bytes —
    version, key id, nonce and the start of the ciphertext — are still found."""
    copy = audit.copies[index]
    written = audit.submissions[:max(0, index)]  # copy n follows submission n - 1
    if audit.engine == "sqlite":
        held = scenario.copy_bytes(audit, copy)
    else:
        limit = int(copy.lsn.split("/")[0], 16) << 32 | int(copy.lsn.split("/")[1], 16)
        held = b"\0".join(raw for raw, lsn in zip(audit.wal_records, audit.wal_lsns)
                          if lsn < limit)
    present = [s for s in written if s[1][:BLOB_PREFIX] in held]
    if not present:
        return []
    keys = [AESGCM(raw) for raw in scenario.candidate_pending_keys(audit, copy)]
    keys += [AESGCM(raw) for raw in audit.data_keys.values()]
    return [person for row_id, sealed, round_id, person in present
            if _opens(sealed, keys, blobs.place("pending_answer", "sealed", row_id, round_id))]


def _opens(sealed, keys, place):
    start = 5  # version and key id
    nonce, body = sealed[start:start + blobs.NONCE_BYTES], sealed[start + blobs.NONCE_BYTES:]
    for aead in keys:
        try:
            aead.decrypt(nonce, body, place)
            return True
        except InvalidTag:
            continue
    return False


def distinct_pending_sizes(audit):
    """The sizes of sealed pending answers across every copy: more than one, and a
    size that stands out marks its author (it was written with their participation)."""
    return {size for copy in audit.copies for size in scenario.pending_sizes(audit, copy)}


# -- the tests ------------------------------------------------------------------------
def test_no_plain_figure_describes_fewer_than_k_people(audit, weak):
    assert small_plain_groups(audit) == []
    # The Ops lead counted alone under Acme/Ops, the CEO and HR under Acme (F2).
    assert small_plain_groups(weak("groups"))


def test_no_copy_sees_a_batch_under_k_the_close_included(audit, weak):
    assert batches_seen(audit) and min(batches_seen(audit)) >= K
    assert min(batches_seen(weak("batches"))) < K


def test_tally_rows_do_not_spell_out_one_persons_answers(audit, weak):
    assert answer_vectors_from_tally_order(audit) == []
    assert answer_vectors_from_tally_order(weak("tallies"))


def test_after_the_close_storage_order_says_nothing_of_who_answered_when(audit, weak):
    assert arrival_order_agreement(audit, audit.copies[-1]) < 0.75
    weakened = weak("rebuild")
    assert arrival_order_agreement(weakened, weakened.copies[-1]) > 0.9


def test_sealed_pending_answers_all_have_one_size(audit, weak):
    assert len(distinct_pending_sizes(audit)) == 1
    assert len(distinct_pending_sizes(weak("padding"))) > 1


def test_with_the_key_file_no_answer_is_tied_to_its_author_after_the_close(audit, weak):
    assert exposed_submissions(audit, len(audit.copies) - 1) == []
    weakened = weak("keys")
    assert len(exposed_submissions(weakened, len(weakened.copies) - 1)) >= K


def test_during_the_round_only_answers_still_pending_are_exposed(audit, weak):
    """Adversary 4: a copy with the key file while the round is open may open what
    waits in the pools at that moment (at most 2k - 1 per group), nothing released."""
    excess = []
    for index, copy in enumerate(audit.copies[:-1]):
        exposed = Counter(audit.group_of_person[p] for p in exposed_submissions(audit, index))
        for group, count in exposed.items():
            if count > copy.pending_waiting.get(group, 0) or count > 2 * K - 1:
                excess.append((copy.label, group, count))
    assert excess == []
    weakened = weak("keys")
    beyond = [len(exposed_submissions(weakened, index)) - sum(copy.pending_waiting.values())
              for index, copy in enumerate(weakened.copies[:-1])]
    assert max(beyond) >= K  # released answers opened too
