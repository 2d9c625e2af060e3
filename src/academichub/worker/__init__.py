"""Worker: jobs as plain functions and the embedded scheduler that runs them."""
