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

/// Freed memory goes back to the OS at once (mimalloc's purge delay 0;
/// its default is 1 s). The binary calls it first. On the 1 M-claim night
/// (BENCHMARKS.md, tenth pass) the peak was 4.1-4.3 million KiB keeping
/// freed memory (`keep_freed_memory`), 3.5-3.6 million with the default
/// delay and 3.2 million at once, in the same wall time within noise:
/// a night frees gigabytes (the inputs' bytes, the parsed inputs, the
/// matching index) that other threads and size classes could not reuse.
pub fn return_freed_memory() {
    // SAFETY: sets an integer option of the allocator; no memory involved.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

/// Freed memory stays with the process: for benchmarks that repeat a step
/// (a parse 25 times), so that they measure the step and not the kernel
/// zeroing the same pages again after each repetition.
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
