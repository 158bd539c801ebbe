//! Entry point: parse the command line, run it, and turn any failure into one clear line.

use std::process::ExitCode;

use clap::Parser;
use server::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
