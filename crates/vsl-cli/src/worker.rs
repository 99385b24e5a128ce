//! `vsl worker`: the engine process. Speaks `vsl_core::worker`'s JSON lines on stdin and
//! stdout; started by `vsl watch` (and the app), not by people.

use std::io::BufReader;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Args)]
pub struct WorkerArgs {
    /// Release the model after this long without a job.
    #[arg(long, default_value = "10m", value_parser = crate::watch::parse_duration)]
    idle: Duration,
}

pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    vsl_core::worker::detach_from_caller();
    let options = vsl_core::worker::WorkerOptions {
        idle: args.idle,
        hook: fault_hook(),
    };
    let served =
        vsl_core::worker::serve(BufReader::new(std::io::stdin()), std::io::stdout(), options);
    // A closed stdout is the caller going away, not an error of ours to report.
    Ok(match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    })
}

/// The test-only fault switch (`--features fault-injection`, never in release builds):
/// `VSL_FAULT=ACTION:STAGE[:NAME]`, read by `vsl_core::worker::fault_hook` (e.g.
/// `abort:transcribe:poison` aborts the worker when it starts transcribing a file whose name
/// contains `poison`).
#[cfg(feature = "fault-injection")]
fn fault_hook() -> Option<Box<vsl_core::worker::StageHook>> {
    let rule = std::env::var("VSL_FAULT").ok()?;
    let hook = vsl_core::worker::fault_hook(&rule);
    if hook.is_some() {
        eprintln!("vsl worker: fault switch on: {rule}");
    } else {
        eprintln!("vsl worker: VSL_FAULT={rule} is not ACTION:STAGE[:NAME]; ignored");
    }
    hook
}

#[cfg(not(feature = "fault-injection"))]
fn fault_hook() -> Option<Box<vsl_core::worker::StageHook>> {
    None
}
