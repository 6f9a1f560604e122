//! letters_pdf
