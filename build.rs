//! Generates `include/livehub.h` from `src/ffi/` with cbindgen.
//!
//! The header is committed. It is rewritten only when its content changes,
//! so an unchanged header keeps its modification time and `git diff` stays
//! clean; CI regenerates it and fails on drift. A generation failure fails
//! the build: a stale or missing header is worse than a red build.
//!
//! Under `RUSTFLAGS="--cfg loom"` the C ABI is not compiled (`src/lib.rs`),
//! so nothing is generated.
//!
//! On Linux it also names the shared library: `liblivehub.so` gets the
//! SONAME `liblivehub.so.<major>` (`liblivehub.so.0` for every 0.x
//! release; see "ABI policy" in README.md). Which symbols the shared
//! library exports is rustc's business for a cdylib: exactly the
//! `#[no_mangle] extern "C"` functions of `src/ffi/`, all named
//! `livehub_*` (checked by `make test-install`).

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");

    if env::var_os("CARGO_CFG_LOOM").is_some() {
        return;
    }

    let crate_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by cargo"));
    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION is set by cargo");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblivehub.so.{major}");
    }
    let header_path = crate_dir.join("include").join("livehub.h");

    let generated = match generate(&crate_dir, &version) {
        Ok(text) => text,
        Err(message) => {
            println!("cargo:warning=livehub: cannot generate include/livehub.h: {message}");
            panic!("livehub: cannot generate include/livehub.h: {message}");
        }
    };

    let current = fs::read(&header_path).ok();
    if current.as_deref() == Some(generated.as_slice()) {
        return;
    }
    if let Err(e) = fs::create_dir_all(crate_dir.join("include"))
        .and_then(|()| fs::write(&header_path, &generated))
    {
        println!(
            "cargo:warning=livehub: cannot write {}: {e}",
            header_path.display()
        );
        panic!("livehub: cannot write {}: {e}", header_path.display());
    }
}

/// The header's bytes.
fn generate(crate_dir: &std::path::Path, version: &str) -> Result<Vec<u8>, String> {
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("cbindgen.toml: {e}"))?;
    config.after_includes = Some(version_defines(version)?);
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src").join("ffi").join("mod.rs"))
        .generate()
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    let text = String::from_utf8(out).map_err(|e| e.to_string())?;
    Ok(unsigned_defines(&name_struct_tags(&text)).into_bytes())
}

/// The version macros of the header, from the crate version `M.m.p`.
///
/// `LIVEHUB_VERSION_NUMBER` is `(M << 16) | (m << 8) | p`, as a plain
/// decimal so that `#if LIVEHUB_VERSION_NUMBER >= ...` works in any
/// preprocessor; each part must therefore stay below 256.
fn version_defines(version: &str) -> Result<String, String> {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let parts: Vec<u32> = core
        .split('.')
        .map(|p| {
            p.parse::<u32>()
                .map_err(|e| format!("version {version}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let [major, minor, patch] = parts[..] else {
        return Err(format!("version {version}: expected MAJOR.MINOR.PATCH"));
    };
    if major > 255 || minor > 255 || patch > 255 {
        return Err(format!("version {version}: each part must be below 256"));
    }
    let number = (major << 16) | (minor << 8) | patch;
    Ok(format!(
        "\n/**\n * Version of this header. Compare with livehub_version(), the version of\n \
         * the library actually linked: a program built against 0.MINOR runs with\n \
         * any library 0.MINOR2 >= 0.MINOR (see \"ABI policy\" in README.md).\n \
         */\n#define LIVEHUB_VERSION \"{version}\"\n\
         #define LIVEHUB_VERSION_MAJOR {major}\n\
         #define LIVEHUB_VERSION_MINOR {minor}\n\
         #define LIVEHUB_VERSION_PATCH {patch}\n\
         /** (MAJOR << 16) | (MINOR << 8) | PATCH, for #if comparisons. */\n\
         #define LIVEHUB_VERSION_NUMBER {number}"
    ))
}

/// cbindgen's "type" style writes `typedef struct { ... } livehub_tag;`.
/// The API contract spells `typedef struct livehub_tag { ... } livehub_tag;`
/// so that C code may also say `struct livehub_tag`: give each anonymous
/// struct the tag of its typedef name.
fn name_struct_tags(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + 256);
    for (i, line) in lines.iter().enumerate() {
        if *line == "typedef struct {" {
            let name = lines[i + 1..]
                .iter()
                .find(|l| l.starts_with("} ") && l.ends_with(';'))
                .map(|l| l.trim_start_matches("} ").trim_end_matches(';'));
            if let Some(name) = name {
                out.push_str("typedef struct ");
                out.push_str(name);
                out.push_str(" {\n");
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A `#define NAME 4294967295` is a `long` in C; mark integer constants
/// that do not fit in an `int` as unsigned.
fn unsigned_defines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let big = matches!(
            (parts.next(), parts.next(), parts.next(), parts.next()),
            (Some("#define"), Some(_), Some(v), None)
                if v.parse::<u64>().is_ok_and(|n| n > i32::MAX as u64)
        );
        out.push_str(line);
        if big {
            out.push('u');
        }
        out.push('\n');
    }
    out
}
