//! The `weir` command line: `weir run FILE [args...]`, `weir eval CODE`,
//! `weir --version`, `weir --help`.

use crate::js::runtime::{JsRuntime, RuntimeOptions};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "weir",
    version,
    about = "weir: a streaming media server runtime. JavaScript decides, Rust moves."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a JavaScript file (ES module or CommonJS) like `node FILE`.
    Run {
        #[command(flatten)]
        limits: Limits,
        /// The script to run.
        file: PathBuf,
        /// Arguments for the script (`process.argv.slice(2)`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Evaluate JavaScript source given on the command line, like `node -e`.
    Eval {
        #[command(flatten)]
        limits: Limits,
        /// The code to evaluate.
        code: String,
        /// Arguments for the code (`process.argv.slice(1)`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Args, Debug, Clone)]
struct Limits {
    /// Heap limit of the JavaScript isolate, in MiB. Past it the script ends with
    /// ERR_WORKER_OUT_OF_MEMORY and exit code 134.
    #[arg(long, default_value_t = 512, value_name = "MIB")]
    max_heap_mb: usize,
    /// CPU budget of each invocation (the top-level run, each timer or I/O callback
    /// batch), in milliseconds. Past it the script ends with
    /// ERR_SCRIPT_EXECUTION_TIMEOUT and exit code 124. Default: no limit.
    #[arg(long, value_name = "MS")]
    cpu_limit_ms: Option<u64>,
}

fn exec_path() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "weir".into())
}

fn options(limits: &Limits, argv: Vec<String>) -> RuntimeOptions {
    RuntimeOptions {
        argv,
        exec_argv: Vec::new(),
        max_heap_mb: limits.max_heap_mb,
        cpu_limit: limits.cpu_limit_ms.map(Duration::from_millis),
        recover_from_cpu_limit: false,
    }
}

fn block_on<F: std::future::Future<Output = i32>>(f: F) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("weir: cannot start the event loop: {e}");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, f)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    crate::ops::process::mark_start();
    let cli = Cli::parse();
    match cli.command {
        Command::Run { limits, file, args } => {
            let path = match std::fs::canonicalize(&file) {
                Ok(p) if p.is_file() => p,
                Ok(p) => {
                    eprintln!(
                        "Error: Cannot run '{}': it is a directory, not a file",
                        p.display()
                    );
                    return 1;
                }
                Err(_) => {
                    let shown = std::env::current_dir()
                        .map(|d| d.join(&file))
                        .unwrap_or(file.clone());
                    eprintln!("Error: Cannot find module '{}' [MODULE_NOT_FOUND]\n    weir run needs the path of an existing JavaScript file.", shown.display());
                    return 1;
                }
            };
            let mut argv = vec![exec_path(), path.display().to_string()];
            argv.extend(args);
            let mut rt = JsRuntime::new(options(&limits, argv));
            block_on(async move { rt.run_main(&path).await })
        }
        Command::Eval { limits, code, args } => {
            let mut argv = vec![exec_path()];
            argv.extend(args);
            let mut rt = JsRuntime::new(options(&limits, argv));
            block_on(async move { rt.run_eval(&code).await })
        }
    }
}
