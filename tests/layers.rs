//! The layers of ARCHITECTURE.md, checked on the source: no module imports a layer above it.
//!
//! Each file under `src/` is read as text (comments left out); every `crate::` path is resolved
//! to the top-level module it names (a name re-exported at the crate root counts as the module
//! that defines it) and checked against what its layer may use. A file's unit tests may use
//! the testkit too.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What each layer may import from the crate, besides itself.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("access", &["domain"]),
    ("views", &["domain", "access"]),
    ("plugin", &["domain"]),
    ("memory", &["domain", "plugin"]),
    ("sql", &["domain", "plugin"]),
    ("testkit", &["domain", "plugin"]),
    ("engine", &["domain", "access", "views", "plugin", "memory"]),
];

/// Names the crate root re-exports from a layer other than `domain`.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("Engine", "engine"),
    ("EngineBuilder", "engine"),
    ("Delivery", "engine"),
    ("LaunchReport", "engine"),
    ("TickReport", "engine"),
    ("ReviewView", "views"),
    ("aggregate", "views"),
    ("score", "domain"),
    ("transition", "domain"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments (line comments and doc comments; block comments are not used).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level items of a `{ ... }` group that starts at `rest[0] == '{'`.
fn group_items(rest: &str) -> Vec<String> {
    let mut depth = 0usize;
    let mut items = Vec::new();
    let mut current = String::new();
    for c in rest.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    items.push(std::mem::take(&mut current));
                    break;
                }
                current.push(c);
            }
            ',' if depth == 1 => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The module a root-level name belongs to.
fn layer_of_root_name(name: &str) -> String {
    let first: String = name
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if let Some((_, layer)) = ROOT_NAMES.iter().find(|(n, _)| *n == first) {
        return (*layer).to_owned();
    }
    if first.chars().next().is_some_and(char::is_lowercase) && !name.contains("::") {
        // A function re-exported from the domain (`launch`, `packet_for`, ...).
        return "domain".to_owned();
    }
    if first.chars().next().is_some_and(char::is_lowercase) {
        return first;
    }
    "domain".to_owned()
}

/// Every top-level module a file's `crate::` paths reach.
fn reached(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if after.starts_with('{') {
            for item in group_items(after) {
                out.insert(layer_of_root_name(&item));
            }
        } else {
            let path: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.insert(layer_of_root_name(&path));
        }
        rest = after;
    }
    out
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut checked = 0;
    let mut findings = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let Some(layer) = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
        else {
            continue;
        };
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == layer) else {
            continue;
        };
        checked += 1;
        let text = code_of(&fs::read_to_string(file).unwrap_or_default());
        // A file's unit tests (its trailing `#[cfg(..test..)]` module) may also use the
        // testkit's fixtures.
        let (code, tests) = match text.find("#[cfg(test)]").or(text.find("#[cfg(all(test")) {
            Some(i) => text.split_at(i),
            None => (text.as_str(), ""),
        };
        for (part, extra) in [(code, None), (tests, Some("testkit"))] {
            for module in reached(part) {
                if module != layer
                    && !allowed.contains(&module.as_str())
                    && extra != Some(module.as_str())
                {
                    findings.push(format!("{} uses crate::{module}", relative.display()));
                }
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} files were checked: is the source tree where the test looks?"
    );
    assert!(
        findings.is_empty(),
        "imports against the layers:\n{}",
        findings.join("\n")
    );
}

#[test]
fn the_layer_check_sees_every_kind_of_path() {
    let code = "use crate::engine::Tx;\nuse crate::{Engine, PersonId, plugin::Storage};\nlet x = crate::memory::MemoryStorage::new(); // crate::sql\n";
    let got = reached(&code_of(code));
    let want: BTreeSet<String> = ["engine", "domain", "plugin", "memory"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(got, want);
}

/// The module (file) of `src/domain` a path below `crate::domain::` reaches: a module name, or
/// a name the domain re-exports, resolved through `src/domain/mod.rs`.
fn domain_module(
    path: &str,
    reexports: &[(String, String)],
    modules: &BTreeSet<String>,
) -> Option<String> {
    let first: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if modules.contains(&first) {
        return Some(first);
    }
    reexports
        .iter()
        .find(|(name, _)| *name == first)
        .map(|(_, module)| module.clone())
}

/// Folds the files of one aggregate into one node: `packet/review.rs` is `packet`.
fn node_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .iter()
        .filter_map(|p| p.to_str())
        .map(|p| p.trim_end_matches(".rs").to_owned())
        .collect();
    if parts.len() > 1 {
        parts.truncate(1);
    }
    parts.pop().unwrap_or_default()
}

#[test]
fn the_domain_modules_form_no_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&root).ok())
        .map(node_of)
        .filter(|m| m != "mod")
        .collect();
    // Names re-exported by src/domain/mod.rs, with the module that defines them.
    let mod_rs = code_of(&fs::read_to_string(root.join("mod.rs")).unwrap_or_default());
    let mut reexports = Vec::new();
    for statement in mod_rs.split(';') {
        let Some(rest) = statement
            .trim()
            .strip_prefix("pub use ")
            .or_else(|| statement.trim().strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        let module = if module == "review" || module == "nomination" {
            "packet"
        } else {
            module
        };
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            reexports.push((name.to_owned(), module.to_owned()));
        }
    }
    assert!(
        reexports.len() > 50,
        "the re-exports of src/domain/mod.rs were not read"
    );

    // Module -> modules it uses. `error` is the foundation every module may use (its own
    // edges are not counted: it names ids, org errors and decisions in its messages).
    let mut edges: Vec<(String, BTreeSet<String>)> = Vec::new();
    for file in &files {
        let Ok(relative) = file.strip_prefix(&root) else {
            continue;
        };
        let node = node_of(relative);
        if node == "mod" || node == "error" {
            continue;
        }
        let code = code_of(&fs::read_to_string(file).unwrap_or_default());
        let mut uses = BTreeSet::new();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::domain::") {
            let after = &rest[i + "crate::domain::".len()..];
            let items = if after.starts_with('{') {
                group_items(after)
            } else {
                vec![after.to_owned()]
            };
            for item in items {
                if let Some(m) = domain_module(&item, &reexports, &modules) {
                    if m != node && m != "error" {
                        uses.insert(m);
                    }
                }
            }
            rest = after;
        }
        match edges.iter_mut().find(|(n, _)| *n == node) {
            Some((_, u)) => u.extend(uses),
            None => edges.push((node, uses)),
        }
    }
    assert!(
        edges.len() >= 15,
        "only {} domain modules were read",
        edges.len()
    );

    // Depth-first search for a circle.
    fn visit(
        node: &str,
        edges: &[(String, BTreeSet<String>)],
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        let next = edges
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, u)| u.clone())
            .unwrap_or_default();
        for n in &next {
            if let Some(c) = visit(n, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for (node, _) in &edges {
        if let Some(circle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!(
                "the domain modules import each other in a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}
