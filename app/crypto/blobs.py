"""The sealed-blob format: AES-256-GCM with associated data binding a blob to its place.

    version (1 byte) | data key id (4 bytes, big-endian) | nonce (12 random bytes) | ciphertext+tag

The associated data names the table, column, row id and round, so a blob copied into
another row, column or round fails to open instead of showing the wrong text.
"""
import os
import struct

from cryptography.exceptions import InvalidTag

VERSION = 1
_HEADER = struct.Struct(">BI")
NONCE_BYTES = 12


class BlobError(Exception):
    """A blob that cannot be opened: wrong place, wrong key, destroyed key or damage."""


def place(table, column, row_id, round_id):
    """The associated data that ties a blob to one cell of one round."""
    row = row_id.hex() if isinstance(row_id, bytes) else str(row_id)
    return f"heard|{table}|{column}|{row}|{round_id}".encode()


def seal(aead, key_id, plaintext, associated_data):
    """Encrypt bytes with a data key (an AESGCM) into a blob."""
    nonce = os.urandom(NONCE_BYTES)
    return _HEADER.pack(VERSION, key_id) + nonce + aead.encrypt(
        nonce, plaintext, associated_data)


def key_id_of(blob):
    """The data key id a blob was sealed with."""
    if len(blob) < _HEADER.size + NONCE_BYTES + 16:
        raise BlobError("blob too short")
    version, key_id = _HEADER.unpack_from(blob)
    if version != VERSION:
        raise BlobError(f"unknown blob version {version}")
    return key_id


def open_blob(aead, blob, associated_data):
    """Decrypt a blob sealed for exactly this place, or raise BlobError."""
    key_id_of(blob)
    start = _HEADER.size
    nonce = blob[start:start + NONCE_BYTES]
    try:
        return aead.decrypt(nonce, blob[start + NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise BlobError("blob does not belong here or its key is wrong") from None
