//! AMF0 values as RTMP commands carry them: a small tree decoder with
//! bounded depth, and the writers the session's replies need.
//!
//! ```
//! use livehub::rtmp::amf0::{self, Value};
//! let mut buf = Vec::new();
//! amf0::write_string(&mut buf, "connect");
//! amf0::write_number(&mut buf, 1.0);
//! amf0::write_object(&mut buf, &[("app", Value::String("live".into()))]);
//! let values = amf0::decode_all(&buf).unwrap();
//! assert_eq!(values[0].as_str(), Some("connect"));
//! assert_eq!(values[2].get("app").and_then(Value::as_str), Some("live"));
//! ```
//!
//! Decoding consumes a whole command body; anything it cannot step over
//! (an unknown marker, an AMF3 value, truncation, nesting deeper than
//! [`MAX_DEPTH`], more than [`MAX_VALUES`] values in all) is
//! [`AmfError`]. No input makes it panic or allocate more than a small
//! multiple of the input's size.

const NUMBER: u8 = 0x00;
const BOOLEAN: u8 = 0x01;
const STRING: u8 = 0x02;
const OBJECT: u8 = 0x03;
const NULL: u8 = 0x05;
const UNDEFINED: u8 = 0x06;
const REFERENCE: u8 = 0x07;
const ECMA_ARRAY: u8 = 0x08;
const OBJECT_END: u8 = 0x09;
const STRICT_ARRAY: u8 = 0x0A;
const DATE: u8 = 0x0B;
const LONG_STRING: u8 = 0x0C;
const UNSUPPORTED: u8 = 0x0D;
const XML_DOCUMENT: u8 = 0x0F;
const TYPED_OBJECT: u8 = 0x10;

/// Nesting limit for objects and arrays.
pub const MAX_DEPTH: u32 = 16;
/// Limit on the number of values (at every depth) in one body.
pub const MAX_VALUES: usize = 4096;

/// Malformed, truncated or unsupported AMF0 input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmfError;

/// One decoded AMF0 value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number (IEEE 754 double).
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A string (short or long; invalid UTF-8 replaced).
    String(String),
    /// An anonymous or typed object, or an ECMA array: its properties in order.
    Object(Vec<(String, Value)>),
    /// A strict array.
    Array(Vec<Value>),
    /// `null`.
    Null,
    /// `undefined`, and the values this decoder keeps no content of
    /// (date, reference, unsupported, XML).
    Undefined,
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The first property `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(props) => props.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    count: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AmfError> {
        let end = self.pos.checked_add(n).ok_or(AmfError)?;
        let s = self.buf.get(self.pos..end).ok_or(AmfError)?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, AmfError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, AmfError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    fn u32(&mut self) -> Result<u32, AmfError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn utf8(&mut self, n: usize) -> Result<String, AmfError> {
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn properties(&mut self, depth: u32) -> Result<Vec<(String, Value)>, AmfError> {
        let mut props = Vec::new();
        loop {
            let n = usize::from(self.u16()?);
            if n == 0 && self.buf.get(self.pos) == Some(&OBJECT_END) {
                self.pos += 1;
                return Ok(props);
            }
            let key = self.utf8(n)?;
            let value = self.value(depth + 1)?;
            props.push((key, value));
        }
    }

    fn value(&mut self, depth: u32) -> Result<Value, AmfError> {
        self.count += 1;
        if depth > MAX_DEPTH || self.count > MAX_VALUES {
            return Err(AmfError);
        }
        Ok(match self.u8()? {
            NUMBER => {
                let s = self.take(8)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(s);
                Value::Number(f64::from_be_bytes(b))
            }
            BOOLEAN => Value::Boolean(self.u8()? != 0),
            STRING => {
                let n = usize::from(self.u16()?);
                Value::String(self.utf8(n)?)
            }
            LONG_STRING => {
                let n = self.u32()? as usize;
                Value::String(self.utf8(n)?)
            }
            OBJECT => Value::Object(self.properties(depth)?),
            TYPED_OBJECT => {
                let n = usize::from(self.u16()?);
                self.take(n)?;
                Value::Object(self.properties(depth)?)
            }
            ECMA_ARRAY => {
                self.u32()?;
                Value::Object(self.properties(depth)?)
            }
            STRICT_ARRAY => {
                let n = self.u32()? as usize;
                // Each value takes at least one byte: a count past the end
                // of the input is malformed, whatever it claims.
                if n > self.buf.len() - self.pos {
                    return Err(AmfError);
                }
                let mut items = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            NULL => Value::Null,
            UNDEFINED | UNSUPPORTED => Value::Undefined,
            REFERENCE => {
                self.u16()?;
                Value::Undefined
            }
            DATE => {
                self.take(10)?;
                Value::Undefined
            }
            XML_DOCUMENT => {
                let n = self.u32()? as usize;
                self.take(n)?;
                Value::Undefined
            }
            // Movie clip, record set, a stray object end, the AMF3 switch
            // (0x11) and unknown markers.
            _ => return Err(AmfError),
        })
    }
}

/// Decodes every value of `buf`, which must end exactly after the last one.
pub fn decode_all(buf: &[u8]) -> Result<Vec<Value>, AmfError> {
    let mut r = Reader {
        buf,
        pos: 0,
        count: 0,
    };
    let mut out = Vec::new();
    while r.pos < buf.len() {
        out.push(r.value(0)?);
    }
    Ok(out)
}

/// Decodes the first value of `buf` only (the rest is not looked at).
pub fn decode_first(buf: &[u8]) -> Result<Value, AmfError> {
    Reader {
        buf,
        pos: 0,
        count: 0,
    }
    .value(0)
}

/// Appends a number.
pub fn write_number(out: &mut Vec<u8>, n: f64) {
    out.push(NUMBER);
    out.extend_from_slice(&n.to_be_bytes());
}

/// Appends a boolean.
pub fn write_bool(out: &mut Vec<u8>, b: bool) {
    out.push(BOOLEAN);
    out.push(u8::from(b));
}

/// Appends a string (long-string marker over 65535 bytes).
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    if let Ok(n) = u16::try_from(s.len()) {
        out.push(STRING);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(LONG_STRING);
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

/// Appends `null`.
pub fn write_null(out: &mut Vec<u8>) {
    out.push(NULL);
}

/// Appends `undefined`.
pub fn write_undefined(out: &mut Vec<u8>) {
    out.push(UNDEFINED);
}

/// Appends any value (objects as anonymous objects).
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Number(n) => write_number(out, *n),
        Value::Boolean(b) => write_bool(out, *b),
        Value::String(s) => write_string(out, s),
        Value::Object(props) => {
            out.push(OBJECT);
            write_props(out, props.iter().map(|(k, v)| (k.as_str(), v)));
        }
        Value::Array(items) => {
            out.push(STRICT_ARRAY);
            out.extend_from_slice(&(items.len() as u32).to_be_bytes());
            for item in items {
                write_value(out, item);
            }
        }
        Value::Null => write_null(out),
        Value::Undefined => write_undefined(out),
    }
}

/// Appends an anonymous object with these properties.
pub fn write_object(out: &mut Vec<u8>, props: &[(&str, Value)]) {
    out.push(OBJECT);
    write_props(out, props.iter().map(|(k, v)| (*k, v)));
}

/// Appends an ECMA array with these properties.
pub fn write_ecma_array(out: &mut Vec<u8>, props: &[(&str, Value)]) {
    out.push(ECMA_ARRAY);
    out.extend_from_slice(&(props.len() as u32).to_be_bytes());
    write_props(out, props.iter().map(|(k, v)| (*k, v)));
}

fn write_props<'a>(out: &mut Vec<u8>, props: impl Iterator<Item = (&'a str, &'a Value)>) {
    for (k, v) in props {
        let n = k.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(&k.as_bytes()[..n]);
        write_value(out, v);
    }
    out.extend_from_slice(&[0, 0, OBJECT_END]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = Value::Object(vec![
            ("a".into(), Value::Number(1.5)),
            ("b".into(), Value::Boolean(true)),
            (
                "c".into(),
                Value::Array(vec![Value::Null, Value::String("x".into())]),
            ),
            ("d".into(), Value::Undefined),
        ]);
        let mut buf = Vec::new();
        write_value(&mut buf, &v);
        write_string(&mut buf, &"y".repeat(70_000));
        let all = decode_all(&buf).unwrap();
        assert_eq!(all[0], v);
        assert_eq!(all[1].as_str().map(str::len), Some(70_000));
    }

    #[test]
    fn malformed() {
        assert_eq!(decode_all(&[STRING, 0, 5, b'a']), Err(AmfError));
        assert_eq!(decode_all(&[0x11, 1]), Err(AmfError));
        assert_eq!(
            decode_all(&[STRICT_ARRAY, 0xff, 0xff, 0xff, 0xff]),
            Err(AmfError)
        );
        assert_eq!(decode_all(&[OBJECT_END]), Err(AmfError));
        let deep: Vec<u8> = std::iter::repeat([OBJECT, 0, 1, b'k'])
            .take(40)
            .flatten()
            .collect();
        assert_eq!(decode_all(&deep), Err(AmfError));
        let mut many = Vec::new();
        for _ in 0..=MAX_VALUES {
            write_null(&mut many);
        }
        assert_eq!(decode_all(&many), Err(AmfError));
    }
}
