"""What a closed round may show: aggregates, visibility, the dashboard, charts."""
