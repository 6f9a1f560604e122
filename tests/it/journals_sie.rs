//! journals_sie
