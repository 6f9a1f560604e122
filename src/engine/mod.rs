//! The day's steps.
