//! camt_corpus
