"""Surveys and rounds, answering a pulse, batch release and open links."""
