//! Running commands: each is printed before it runs, and a failure names the command.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints a step heading.
pub fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs `program args` in `dir`, inheriting the terminal; fails if it exits non-zero.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program).args(args).current_dir(dir).status().map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Runs cargo (the one that runs this xtask).
pub fn cargo(dir: &Path, args: &[&str]) -> Result<(), String> {
    run(dir, &cargo_program(), args)
}

/// Runs `program args` and returns its standard output, or `None` if it cannot run or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Returns the workspace root (where the top Cargo.toml and Cargo.lock are).
pub fn workspace_root() -> Result<PathBuf, String> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.ancestors().nth(2).map(Path::to_path_buf).ok_or_else(|| "cannot find the workspace root".to_owned())
}
