"""HR exports: what a file covers and the CSV it is written as."""
