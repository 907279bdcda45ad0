"""The public board: threads, replies, reactions, and its static-site export."""
