//! Unit tests against real SQLite files in temporary directories.
