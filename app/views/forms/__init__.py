"""The forms of every page, parsed and typed by WTForms."""
