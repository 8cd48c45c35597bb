//! The HTTP transport against a scripted server on 127.0.0.1.
