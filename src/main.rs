//! The `inkasso` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: a night allocates and frees millions of
/// small strings, and glibc's malloc/free/consolidate were ~25 % of a
/// 100 000-claim night's profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    inkasso::return_freed_memory();
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
