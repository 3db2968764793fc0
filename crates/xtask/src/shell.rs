//! Running commands: each is printed before it runs, and a failure names the command.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Test counts summed over every test run, from the harnesses' `test result:` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    /// Adds the counts of a libtest or wasm-bindgen-test summary line; other lines are ignored.
    pub fn add_line(&mut self, line: &str) {
        let Some(summary) = line.trim().strip_prefix("test result: ") else { return };
        let count = |label: &str| {
            summary.split(';').find_map(|part| {
                part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ").strip_suffix(label)?.trim().parse::<u64>().ok()
            })
        };
        self.passed += count(" passed").unwrap_or(0);
        self.failed += count(" failed").unwrap_or(0);
    }
}

/// Like [`run`], but also reads the test summaries on its standard output into `tally`.
pub fn run_tests(dir: &Path, program: &str, args: &[&str], tally: &mut Tally) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let mut child = command(dir, program, args).stdout(Stdio::piped()).spawn().map_err(|e| format!("could not start {program}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        println!("{line}");
        tally.add_line(&line);
    }
    let _ = std::io::stdout().flush();
    let status = child.wait().map_err(|e| format!("{program} did not finish: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// A command in `dir` without the variables cargo set for this xtask's own run (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …): build scripts that watch them (ring's does) would otherwise rebuild whenever a
/// crate is built once by hand and once through xtask.
pub fn command(dir: &Path, program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name == "CARGO_MANIFEST_DIR"
            || name == "CARGO_MANIFEST_PATH"
            || name == "CARGO_CRATE_NAME"
            || name == "CARGO_PRIMARY_PACKAGE"
            || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Prints a step heading.
pub fn step(title: &str) {
    println!("\n==> {title}");
}

/// Runs `program args` in `dir`, inheriting the terminal; fails if it exits non-zero.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    println!("$ {program} {}", args.join(" "));
    let status = command(dir, program, args).status().map_err(|e| format!("could not start {program}: {e}"))?;
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

/// Points `TMPDIR` at an emptied target/xtask-tmp for everything started from here on, and returns
/// it. Chromium and ChromeDriver leave a 100-150 MB profile directory in the temporary directory for
/// many of their sessions (geckodriver makes Firefox's profiles there too), and /tmp is not ours to
/// clean: here `cargo clean`, or the next run, does.
pub fn scratch_tmpdir(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/xtask-tmp");
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("could not empty {}: {e}", dir.display())),
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    std::env::set_var("TMPDIR", &dir);
    Ok(dir)
}

/// Prints the free disk and the size of target/: the whole test needs several gigabytes, and a
/// full disk shows up as an odd build error (one CI run died on it), so the log says what there was.
pub fn print_disk(root: &Path) {
    let free =
        output("df", &["-h", "--output=avail", &root.to_string_lossy()]).and_then(|text| text.lines().nth(1).map(|line| line.trim().to_owned()));
    let target = output("du", &["-sh", &root.join("target").to_string_lossy()]).and_then(|text| text.split_whitespace().next().map(str::to_owned));
    println!("disk: {} free, target/ {}", free.as_deref().unwrap_or("?"), target.as_deref().unwrap_or("absent"));
}

/// Returns the workspace root (where the top Cargo.toml and Cargo.lock are).
pub fn workspace_root() -> Result<PathBuf, String> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.ancestors().nth(2).map(Path::to_path_buf).ok_or_else(|| "cannot find the workspace root".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_summaries_are_summed_and_other_lines_ignored() {
        let mut tally = Tally::default();
        tally.add_line("test result: ok. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.26s");
        tally.add_line("test result: FAILED. 5 passed; 1 failed; 0 ignored; 0 filtered out; finished in 0.41s");
        tally.add_line("test a_test ... ok");
        tally.add_line("running 3 tests");
        assert_eq!(tally, Tally { passed: 18, failed: 1 });
    }
}
