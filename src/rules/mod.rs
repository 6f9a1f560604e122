//! Jurisdiction rule packs.
