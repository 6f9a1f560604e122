//! The `inkasso` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: a night allocates and frees millions of
/// small strings, and glibc's malloc/free/consolidate were ~25 % of a
/// 100 000-claim night's profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (index in `mi_option_e`, mimalloc v3;
/// the unit test below checks it against the option's default, 1000 ms,
/// in libmimalloc-sys 0.1.49's `options.c`).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory stays with the process instead of going back to the OS
/// after a second: a night frees and allocates gigabytes in turn, and every
/// page given back had to be zeroed by the kernel again when reused
/// (`clear_page_erms` was 12 % of a night's profile; BENCHMARKS.md).
fn keep_freed_memory() {
    // SAFETY: sets an integer option of the allocator; no memory involved.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = match inkasso::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match inkasso::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inkasso: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_with_a_default_of_1000_ms() {
        // SAFETY: reads an integer option of the allocator.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) }, 1000);
    }
}
