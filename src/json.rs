//! Just enough JSON writing for the stats snapshot.

use std::fmt::Write;

/// Appends `s` as a JSON string literal.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `"key":` (the key is a trusted literal).
pub(crate) fn key(out: &mut String, k: &str) {
    out.push('"');
    out.push_str(k);
    out.push_str("\":");
}

/// Appends `"key":value,` for a number.
pub(crate) fn num(out: &mut String, k: &str, v: u64) {
    key(out, k);
    let _ = write!(out, "{v},");
}

/// Appends `"key":"value",` or `"key":null,`.
pub(crate) fn opt_str(out: &mut String, k: &str, v: Option<&str>) {
    key(out, k);
    match v {
        Some(v) => string(out, v),
        None => out.push_str("null"),
    }
    out.push(',');
}

/// Appends `"key":value,` or `"key":null,` for a number.
pub(crate) fn opt_num(out: &mut String, k: &str, v: Option<u64>) {
    key(out, k);
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
    out.push(',');
}

/// Removes a trailing comma before closing an object.
pub(crate) fn close(out: &mut String, c: char) {
    if out.ends_with(',') {
        out.pop();
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        let mut s = String::new();
        super::string(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, r#""a\"b\\c\n\u0001é""#);
    }
}
