//! camt.053 reader.
