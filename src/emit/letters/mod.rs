//! Letters as PDF.
