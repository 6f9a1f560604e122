//! The subcommands, one file each. Raw arguments become a validated
//! configuration before any work starts; errors become exit codes here:
//! 0 ok, 1 bad input or failed invariant (nothing committed), 2 usage,
//! 3 another run holds the data directory's lock.

pub mod demo;
pub mod gen;
pub mod init;
pub mod letters;
pub mod replay;
pub mod run;
pub mod validate;

use clap::{Parser, Subcommand};

/// inkasso: the nightly batch of a Nordic collection service.
#[derive(Parser, Debug)]
#[command(name = "inkasso", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Copy the bundled sample data to a directory and run the sample days.
    Demo(demo::Args),
    /// Write a realistic generated data directory (benchmarks, load tests).
    Gen(gen::Args),
    /// Create a data directory with a commented sample inkasso.toml.
    Init(init::Args),
    /// Process one day: ingest the inbox, match, allocate, send letters, settle.
    Run(run::Args),
    /// Recompute a day and every later committed day from archived inputs.
    Replay(replay::Args),
    /// Render the PDF letters of a committed day (e.g. after render_pdf = false).
    Letters(letters::Args),
    /// Detect each file's format, parse it and report counts or errors.
    Validate(validate::Args),
}

/// Why a command failed, and its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input or a failed invariant: nothing was committed.
    #[error("{0}")]
    Failed(String),
    /// The command was used wrongly (e.g. running a committed day without --rerun).
    #[error("{0}")]
    Usage(String),
    /// Another run holds the lock.
    #[error("{0}")]
    Locked(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Failed(_) => 1,
            Error::Usage(_) => 2,
            Error::Locked(_) => 3,
        }
    }
}

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Error {
        match e {
            crate::store::Error::Locked(m) => Error::Locked(m),
            other => Error::Failed(other.to_string()),
        }
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// See `Error`.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Gen(a) => gen::run(a),
        Command::Init(a) => init::run(a),
        Command::Run(a) => run::run(a).map(|_| ()),
        Command::Replay(a) => replay::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Letters(a) => letters::run(a),
    }
}
