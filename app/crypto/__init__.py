"""Keys and sealed blobs: the key file, per-round data keys, pending keys, link tokens."""
