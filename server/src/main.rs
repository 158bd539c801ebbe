//! Entry point: parse the command line, run it, and turn any failure into one clear line.

use std::process::ExitCode;

use clap::Parser;
use server::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // `server` alone is `server serve`, with serve's options read from the environment.
        cli = Cli::parse_from(std::env::args_os().chain([std::ffi::OsString::from("serve")]));
    }
    server::telemetry::init(cli.global.log_json);
    match server::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` chains the causes on one line: "cannot listen on ...: Address in use".
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
