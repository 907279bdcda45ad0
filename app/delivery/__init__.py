"""Getting rounds to people: schedules, the tick, mails, the outbox and transport."""
