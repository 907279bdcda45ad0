"""People and staff: the roster, credentials, sessions, scope, audit and retention."""
