//! The habits the style guide asks for, checked instead of hoped for: formatting, a `//!` line at the
//! top of every source file, no `Result<_, String>` across the core's modules, and no import circles
//! between a crate's files. Fast: they read files, and run rustfmt once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::shell;

/// The crates whose `src/` is checked for import circles (each a tree of modules of its own).
const CRATE_SOURCES: [&str; 7] =
    ["src", "crates/core/src", "crates/host/src", "crates/devnet/src", "crates/proxy/src", "crates/e2e/src", "crates/xtask/src"];
/// Where Rust sources live: every file under them starts with a `//!` line.
const SOURCE_ROOTS: [&str; 3] = ["src", "tests", "crates"];

pub fn run(root: &Path) -> Result<(), String> {
    formatted(root)?;
    let files = rust_files(root);
    every_file_says_what_it_is(root, &files)?;
    no_string_errors_in_the_core(root, &files)?;
    no_import_circles(root)
}

fn formatted(root: &Path) -> Result<(), String> {
    let status = shell::command(root, &shell::cargo_program(), &["fmt", "--all", "--", "--check"])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo fmt: {e}"))?;
    if !status.success() {
        return Err("`cargo fmt --all -- --check` finds unformatted code: run `cargo fmt --all`".to_owned());
    }
    println!("check: the code is formatted (rustfmt.toml)");
    Ok(())
}

fn every_file_says_what_it_is(root: &Path, files: &[PathBuf]) -> Result<(), String> {
    let silent: Vec<String> =
        files.iter().filter(|f| !starts_with_doc_line(&std::fs::read_to_string(f).unwrap_or_default())).map(|f| relative(root, f)).collect();
    if !silent.is_empty() {
        return Err(format!("these files do not start with a `//!` line saying what they are for: {}", silent.join(", ")));
    }
    println!("check: every source file starts with a //! line ({} files)", files.len());
    Ok(())
}

/// Tells whether a source's first line that is not blank is a `//!` doc line.
pub fn starts_with_doc_line(source: &str) -> bool {
    source.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.starts_with("//!"))
}

fn no_string_errors_in_the_core(root: &Path, files: &[PathBuf]) -> Result<(), String> {
    let core = root.join("crates/core/src");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| f.starts_with(&core)) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if is_public_fn_with_string_error(line) {
                found.push(format!("{}:{}", relative(root, file), n + 1));
            }
        }
    }
    if !found.is_empty() {
        return Err(format!("the core's functions seen by other modules return `Result<_, String>` (give them an error type): {}", found.join(", ")));
    }
    println!("check: no Result<_, String> crosses the core's modules");
    Ok(())
}

/// Tells whether a line declares a function visible outside its module that fails with a `String`.
pub fn is_public_fn_with_string_error(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("pub") && line.contains("fn ") && line.contains("Result<") && line.replace(' ', "").contains(",String>")
}

fn no_import_circles(root: &Path) -> Result<(), String> {
    for crate_src in CRATE_SOURCES {
        let dir = root.join(crate_src);
        if !dir.exists() {
            continue;
        }
        let modules = module_files(&dir);
        let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = modules
            .iter()
            .map(|(module, file)| {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                (module.clone(), imports(module, &text, &modules))
            })
            .collect();
        if let Some(circle) = find_circle(&graph) {
            let names: Vec<String> = circle.iter().map(|m| if m.is_empty() { "crate".to_owned() } else { m.join("::") }).collect();
            return Err(format!("an import circle in {crate_src}: {} (split what both need into a module of its own)", names.join(" → ")));
        }
    }
    println!("check: no import circles between a crate's files");
    Ok(())
}

/// The crate's modules (a path of names, `[]` for the crate root) and their files. Binaries are
/// crates of their own and left out.
fn module_files(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut modules = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    stack.push(path);
                }
                continue;
            }
            let Ok(rel) = path.strip_prefix(src) else { continue };
            let Some(stem) = rel.to_str().and_then(|r| r.strip_suffix(".rs")) else { continue };
            let mut names: Vec<String> = stem.split('/').map(str::to_owned).collect();
            match names.last().map(String::as_str) {
                Some("main") if names.len() == 1 => continue,
                Some("lib" | "main") if names.len() == 1 => names.clear(),
                Some("mod") => {
                    names.pop();
                }
                _ => {}
            }
            modules.insert(names, path);
        }
    }
    modules
}

/// The modules of `known` that the `use` lines of `module`'s source name (`crate::`, `super::` and
/// `self::` paths, groups included), each the longest module prefix of its path; itself excluded.
pub fn imports(module: &[String], source: &str, known: &BTreeMap<Vec<String>, PathBuf>) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for statement in use_statements(source) {
        for path in expand_groups(&statement) {
            let mut segments = path.split("::").map(str::trim).filter(|s| !s.is_empty());
            let mut target: Vec<String> = match segments.next() {
                Some("crate") => Vec::new(),
                // A `mod.rs` file is its directory's module: `self` and `super` mean the same as for
                // any other file.
                Some("self") => module.to_vec(),
                Some("super") => module[..module.len().saturating_sub(1)].to_vec(),
                _ => continue,
            };
            for segment in segments {
                match segment {
                    "super" => {
                        target.pop();
                    }
                    name => target.push(name.to_owned()),
                }
            }
            while !target.is_empty() && !known.contains_key(&target) {
                target.pop();
            }
            if target != module && known.contains_key(&target) {
                found.insert(target);
            }
        }
    }
    found
}

/// The text of each of the file's own `use …;` statements (at its top level, `pub` ones included),
/// joined over lines. An inline module's `use super::…` is indented, and means that module's parent.
fn use_statements(source: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let trimmed = line.trim();
        if current.is_none() && line.starts_with(|c: char| !c.is_whitespace()) {
            let rest = trimmed
                .strip_prefix("pub ")
                .or_else(|| trimmed.strip_prefix("pub(crate) "))
                .or_else(|| trimmed.strip_prefix("pub(super) "))
                .unwrap_or(trimmed);
            if let Some(body) = rest.strip_prefix("use ") {
                current = Some(String::new());
                current.as_mut().expect("just set").push_str(body);
            }
        } else if let Some(text) = current.as_mut() {
            text.push_str(trimmed);
        }
        if current.as_ref().is_some_and(|t| t.ends_with(';')) {
            statements.push(current.take().expect("checked").trim_end_matches(';').to_owned());
        }
    }
    statements
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`; `as` renames dropped.
pub fn expand_groups(path: &str) -> Vec<String> {
    let path = path.split(" as ").next().unwrap_or(path).trim();
    let Some(open) = path.find('{') else { return vec![path.to_owned()] };
    let (prefix, inner) = (&path[..open], &path[open + 1..path.rfind('}').unwrap_or(path.len())]);
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand_groups(&format!("{prefix}{}", if p == "self" { "" } else { p })).into_iter())
        .map(|p| p.trim_end_matches("::").to_owned())
        .collect()
}

/// Returns a circle of the graph, as the modules along it (the first again at the end), if it has one.
pub fn find_circle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(at) = path.iter().position(|m| m == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.clone());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = SOURCE_ROOTS.iter().map(|r| root.join(r)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root).unwrap_or(file).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(path: &str) -> Vec<String> {
        path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    fn known(paths: &[&str]) -> BTreeMap<Vec<String>, PathBuf> {
        paths.iter().map(|p| (module(p), PathBuf::from(p))).collect()
    }

    #[test]
    fn a_file_without_its_doc_line_is_caught() {
        assert!(starts_with_doc_line("\n//! What it is.\nuse x;"));
        assert!(!starts_with_doc_line("use x;\n//! Too late."));
        assert!(!starts_with_doc_line("/// An item's doc, not the file's."));
    }

    #[test]
    fn a_public_function_failing_with_a_string_is_caught() {
        assert!(is_public_fn_with_string_error("    pub async fn read(&self) -> Result<Vec<u8>, String> {"));
        assert!(is_public_fn_with_string_error("pub(crate) fn parse(text: &str) -> Result<u8,String>"));
        assert!(!is_public_fn_with_string_error("    fn local() -> Result<(), String> {"));
        assert!(!is_public_fn_with_string_error("    pub fn typed() -> Result<(), NodeError> {"));
    }

    #[test]
    fn groups_and_renames_expand_to_paths() {
        assert_eq!(expand_groups("super::{a::B, c::{D, self}}"), ["super::a::B", "super::c::D", "super::c"]);
        assert_eq!(expand_groups("crate::x::Y as Z"), ["crate::x::Y"]);
    }

    #[test]
    fn imports_resolve_to_the_modules_they_name() {
        let known = known(&["", "node", "node::events", "node::lightning_node", "node::events::ldk"]);
        let source = "//! x\nuse super::lightning_node::LightningNode;\nuse crate::node::{events::NodeEvent, Unknown};\nuse std::rc::Rc;\n";
        let found = imports(&module("node::peers"), source, &known);
        assert_eq!(found, [module("node"), module("node::events"), module("node::lightning_node")].into_iter().collect());
        // A child naming its parent's item is an edge to the parent.
        let child = imports(&module("node::events::ldk"), "use super::NodeEvent;", &known);
        assert_eq!(child, [module("node::events")].into_iter().collect());
    }

    #[test]
    fn a_circle_is_found_and_a_tree_is_not() {
        let graph = |edges: &[(&str, &str)]| {
            let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
            for (from, to) in edges {
                g.entry(module(from)).or_default().insert(module(to));
                g.entry(module(to)).or_default();
            }
            g
        };
        assert_eq!(find_circle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
        let circle = find_circle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).expect("a circle");
        assert_eq!(circle.first(), circle.last());
        assert_eq!(circle.len(), 4);
    }
}
