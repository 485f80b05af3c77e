// Lists the error descriptions written as `t!("…")` in src/ (sorted, unique) into
// $OUT_DIR/texts.rs, for src/texts.rs. scripts/build.mjs makes the npm entry's table from the
// same sources by the same rules, so a text's index is the same on both sides.
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut texts = Vec::new();
    collect(Path::new("src"), &mut texts);
    texts.sort();
    texts.dedup();
    let mut out =
        String::from("/// Every `t!` text of the sources, sorted and unique (build.rs).\n");
    out.push_str("#[allow(dead_code)]\npub(crate) const TEXTS: &[&str] = &[\n");
    for t in &texts {
        out.push_str("    \"");
        out.push_str(t);
        out.push_str("\",\n");
    }
    out.push_str("];\n");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&dir).join("texts.rs"), out).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, texts: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("src is readable")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            collect(&path, texts);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let src = fs::read_to_string(&path).expect("sources are UTF-8");
            scan(&src, texts);
        }
    }
}

/// The literal of each `t!(` followed by white space and a string literal, as written
/// (escapes kept). Only `\"` and `\\` escapes and ASCII text are allowed, so that the npm
/// entry's table (scripts/build.mjs) reads the same list.
fn scan(src: &str, texts: &mut Vec<String>) {
    let mut rest = src;
    while let Some(at) = rest.find("t!(") {
        // `t!(` itself, not the end of `assert!(` or `print!(`.
        let word = at > 0 && {
            let before = rest.as_bytes()[at - 1];
            before.is_ascii_alphanumeric() || before == b'_'
        };
        rest = &rest[at + 3..];
        if word {
            continue;
        }
        let body = rest.trim_start();
        let Some(lit) = body.strip_prefix('"') else {
            continue;
        };
        let bytes = lit.as_bytes();
        let mut i = 0;
        while i < bytes.len() && bytes[i] != b'"' {
            if bytes[i] == b'\\' {
                assert!(
                    matches!(bytes.get(i + 1), Some(b'"') | Some(b'\\')),
                    "t! texts use only \\\" and \\\\ escapes"
                );
                i += 1;
            }
            i += 1;
        }
        let text = &lit[..i];
        assert!(text.is_ascii(), "t! texts are ASCII: {text}");
        texts.push(text.to_string());
        rest = &lit[i..];
    }
}
