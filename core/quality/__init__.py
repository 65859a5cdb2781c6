"""Service quality: reception days, satisfaction surveys, the quality dashboard and public scorecard."""
