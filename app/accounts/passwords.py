"""Common and breached passwords, refused offline.

The list (app/accounts/common_passwords.txt) ships with Heard: 10,000 passwords from public
breach corpora, 79 kB, read once. A password is refused when it is one of them, or one
of them with only digits and symbols around it ("password2024!"), or one of them
repeated ("qwertyqwerty"): the first things an attacker tries. No network, no service.
"""
import re
from functools import cache
from importlib.resources import files

_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)


@cache
def common_passwords():
    text = files("app.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def is_common(password):
    """True when the password is a common one, or one dressed up with digits, symbols
    or repetition (case and spaces do not matter)."""
    listed = common_passwords()
    folded = password.strip().lower()
    if folded in listed:
        return True
    folded = "".join(folded.split())
    core = _AROUND.match(folded).group(1)
    if core in listed:
        return True
    if not core:  # digits and symbols only: "123456789012" begins with a listed one
        return any(folded[:end] in listed for end in range(6, len(folded) + 1))
    for size in range(1, len(core) // 2 + 1):
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return core[:size] in listed or len(set(core)) == 1
    return False
