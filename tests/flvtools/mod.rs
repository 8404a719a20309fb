//! Helpers for the tests that use the sample files in `tests/data/` and the
//! external FLV tools (ffprobe, ffmpeg, flvmeta): chunked pushing, byte-stream
//! readers, temp files and tool runners. A missing tool fails the test with a
//! clear message; nothing is ever skipped.
#![allow(dead_code)]

use livehub::{flv, Error, Player, Publisher};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

/// The committed samples (made by `scripts/make_samples.sh`).
pub const SAMPLES: [&str; 3] = ["av.flv", "video.flv", "audio.flv"];

/// Path of a file in `tests/data/`.
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// The bytes of a sample file.
pub fn sample(name: &str) -> Vec<u8> {
    let path = data_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read sample {}: {e} (regenerate with scripts/make_samples.sh)",
            path.display()
        )
    })
}

/// A deterministic generator for a test seed.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// How a byte stream is cut into pushes.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// One byte per push.
    Bytes,
    /// Uniform sizes in `1..=max`, from the seed.
    Random { seed: u64, max: usize },
}

/// The chunk boundaries of `len` bytes cut as `cut` says.
pub fn chunks(len: usize, cut: Cut) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    match cut {
        Cut::Bytes => out.extend((0..len).map(|i| i..i + 1)),
        Cut::Random { seed, max } => {
            let mut r = rng(seed);
            while pos < len {
                let n = r.gen_range(1..=max).min(len - pos);
                out.push(pos..pos + n);
                pos += n;
            }
        }
    }
    out
}

/// Pushes `bytes` with `push_flv` in the chunks `cut` chooses, calling
/// `between` after every push; every push must succeed.
pub fn push_chunked(p: &mut Publisher, bytes: &[u8], cut: Cut, mut between: impl FnMut()) {
    for r in chunks(bytes.len(), cut) {
        let at = r.start;
        if let Err(e) = p.push_flv(&bytes[r]) {
            panic!("push_flv failed at byte {at} ({cut:?}): {e:?}");
        }
        between();
    }
}

/// Collects a player's HTTP-FLV byte stream through `read_flv` (buffers of
/// random sizes) or `read_iov` (random slice limits).
pub struct Sink {
    pub out: Vec<u8>,
    rng: StdRng,
    iov: bool,
    pub calls: u64,
}

impl Sink {
    /// A `read_flv` reader.
    pub fn flv(seed: u64) -> Sink {
        Sink {
            out: Vec::new(),
            rng: rng(seed),
            iov: false,
            calls: 0,
        }
    }

    /// A `read_iov` reader.
    pub fn iov(seed: u64) -> Sink {
        Sink {
            out: Vec::new(),
            rng: rng(seed),
            iov: true,
            calls: 0,
        }
    }

    /// Reads until the player has nothing more (`Again`); returns the error
    /// that stopped it.
    pub fn drain(&mut self, pl: &mut Player) -> Error {
        for _ in 0..10_000_000 {
            self.calls += 1;
            let r = if self.iov {
                let max = match self.rng.gen_range(0..4) {
                    0 => 3,
                    1 => self.rng.gen_range(3..10),
                    2 => self.rng.gen_range(3..200),
                    _ => 1024,
                };
                let mut emitted = 0;
                let out = &mut self.out;
                let r = pl.read_iov(max, |s| {
                    emitted += 1;
                    out.extend_from_slice(s);
                });
                if let Ok(n) = r {
                    assert!(
                        n > 0 && n <= max,
                        "read_iov returned {n} slices for a limit of {max}"
                    );
                    assert_eq!(n, emitted, "read_iov count and emitted slices differ");
                }
                r.map(|_| ())
            } else {
                let cap = match self.rng.gen_range(0..4) {
                    0 => 1,
                    1 => self.rng.gen_range(1..32),
                    2 => self.rng.gen_range(1..4096),
                    _ => 65536,
                };
                let mut buf = vec![0u8; cap];
                let r = pl.read_flv(&mut buf);
                if let Ok(n) = r {
                    assert!(n > 0 && n <= cap, "read_flv wrote {n} bytes into {cap}");
                    self.out.extend_from_slice(&buf[..n]);
                }
                r.map(|_| ())
            };
            if let Err(e) = r {
                return e;
            }
        }
        panic!("reader did not run dry");
    }
}

/// One tag of a demuxed byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub tag_type: u8,
    pub ts: u32,
    pub data: Vec<u8>,
}

impl Tag {
    /// The classifier's flags for this tag.
    pub fn flags(&self) -> u32 {
        flv::classify(self.tag_type, &self.data)
            .map(|i| i.flags)
            .unwrap_or(0)
    }
}

/// Demuxes a whole FLV byte stream, which must be clean; returns the header's
/// (audio, video) flags and the tags.
pub fn demux(bytes: &[u8]) -> ((bool, bool), Vec<Tag>) {
    let mut d = flv::Demuxer::new(flv::MAX_DATA_SIZE);
    let mut tags = Vec::new();
    let r = d.feed(bytes, |t| {
        tags.push(Tag {
            tag_type: t.tag_type,
            ts: t.timestamp,
            data: t.data.to_vec(),
        })
    });
    assert_eq!(r, Ok(()), "the byte stream does not demux cleanly");
    assert_eq!(d.prev_tag_size_mismatches(), 0);
    assert_eq!(d.tags_skipped(), 0);
    assert_eq!(
        d.buffered(),
        4,
        "only the last PreviousTagSize may be left over"
    );
    (d.header_tracks().expect("no FLV header"), tags)
}

/// An executable found on `PATH`; panics with what to install when absent.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "this test needs `{name}` on PATH and it is not there: \
         install it (Debian: apt-get install --no-install-recommends ffmpeg flvmeta)"
    );
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(tool(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"))
}

/// A file in the temp directory, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(label: &str, bytes: &[u8]) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("livehub-{}-{n}-{label}.flv", std::process::id()));
        std::fs::write(&path, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        TempFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The string values of `"key": "value"` pairs in a JSON text, in order.
fn json_strings(text: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\"");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let after = rest.trim_start().strip_prefix(':').map(str::trim_start);
        if let Some(v) = after.and_then(|a| a.strip_prefix('"')) {
            if let Some(end) = v.find('"') {
                out.push(v[..end].to_string());
            }
        }
    }
    out
}

/// `(codec_type, nb_read_frames)` per stream, as ffprobe counts them by
/// decoding the file. Fails if ffprobe reports any error.
pub fn ffprobe_frames(path: &str) -> Vec<(String, u64)> {
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=codec_type,nb_read_frames",
            "-of",
            "json",
            path,
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ffprobe failed on {path}: {stderr}");
    assert!(
        stderr.trim().is_empty(),
        "ffprobe reported errors on {path}:\n{stderr}"
    );
    let types = json_strings(&stdout, "codec_type");
    let counts = json_strings(&stdout, "nb_read_frames");
    assert_eq!(
        types.len(),
        counts.len(),
        "unexpected ffprobe output:\n{stdout}"
    );
    assert!(
        !types.is_empty(),
        "ffprobe found no stream in {path}:\n{stdout}"
    );
    types
        .into_iter()
        .zip(counts)
        .map(|(t, n)| {
            let n = n
                .parse()
                .unwrap_or_else(|_| panic!("bad frame count {n:?} in:\n{stdout}"));
            (t, n)
        })
        .collect()
}

/// What `flvmeta --check` said.
#[derive(Debug)]
pub struct Check {
    pub errors: u64,
    pub warnings: u64,
    pub exit_code: Option<i32>,
    pub report: String,
}

/// Runs `flvmeta --check`: it prints one line per finding and a last line
/// `N error(s), M warning(s)`, and exits 0 when the file is valid, 10 when it
/// has errors (9 on a fatal one).
pub fn flvmeta_check(path: &str) -> Check {
    let out = run("flvmeta", &["--check", path]);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = report
        .lines()
        .rev()
        .find(|l| l.contains("error(s)"))
        .unwrap_or_else(|| panic!("no summary line in flvmeta's report:\n{report}"));
    let number_before = |word: &str| -> u64 {
        let head = &summary[..summary
            .find(word)
            .unwrap_or_else(|| panic!("bad summary {summary:?}"))];
        let digits = head
            .trim_end()
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("");
        digits
            .parse()
            .unwrap_or_else(|_| panic!("bad summary {summary:?}"))
    };
    Check {
        errors: number_before("error(s)"),
        warnings: number_before("warning(s)"),
        exit_code: out.status.code(),
        report,
    }
}

/// Asserts that flvmeta finds no error in the file.
pub fn assert_flvmeta_clean(path: &str, what: &str) {
    let c = flvmeta_check(path);
    assert_eq!(
        c.errors, 0,
        "flvmeta --check found errors in {what}:\n{}",
        c.report
    );
    assert_eq!(
        c.exit_code,
        Some(0),
        "flvmeta --check exit status for {what}:\n{}",
        c.report
    );
}

/// Decodes the whole file with ffmpeg (`-v error … -f null -`) and returns
/// everything it printed: empty for a clean file.
pub fn ffmpeg_decode(path: &str) -> String {
    let out = run(
        "ffmpeg",
        &["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"],
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "ffmpeg failed to decode {path}:\n{text}"
    );
    text
}
