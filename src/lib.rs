//! inkasso: the nightly batch of a Nordic collection service.
//!
//! The data flows `ingest` -> `engine` -> `emit`, with `model` (plain types)
//! and `rules` (jurisdiction packs) beside them and `store` (the data
//! directory) beneath; `cli` glues them together. `model`, `rules` and
//! `engine` do no I/O. See ARCHITECTURE.md.

pub mod cli;
pub mod emit;
pub mod engine;
pub mod ingest;
pub mod model;
pub mod rules;
pub mod store;

/// mimalloc's `mi_option_purge_delay` (index in `mi_option_e`, mimalloc v3;
/// the unit test below checks it against the option's default, 1000 ms,
/// in libmimalloc-sys 0.1.49's `options.c`).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory stays with the process instead of going back to the OS
/// after a second: a night frees and allocates gigabytes in turn, and every
/// page given back had to be zeroed by the kernel again when reused
/// (`clear_page_erms` was 12 % of a night's profile; BENCHMARKS.md). The
/// binary and the benchmarks call it first (with mimalloc as the global
/// allocator; harmless otherwise).
pub fn keep_freed_memory() {
    // SAFETY: sets an integer option of the allocator; no memory involved.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_with_a_default_of_1000_ms() {
        // SAFETY: reads an integer option of the allocator.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) }, 1000);
    }
}
