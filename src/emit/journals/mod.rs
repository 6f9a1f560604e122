//! Settlement journals: SIE4 and CSV.
