//! The header of a NumPy `.npy` array.
//!
//! The magic string `\x93NUMPY`, a version byte pair (1.0, 2.0 or 3.0), the header length
//! (u16 little-endian for 1.0, u32 for 2.0 and 3.0), then a Python dict literal,
//! `{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }`, padded with spaces and
//! ended by a newline so that the elements start at a multiple of 64 bytes. Versions 1.0
//! and 2.0 hold Latin-1 text, 3.0 UTF-8.

use std::io::Read;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Elements start at a multiple of this many bytes, as NumPy aligns them.
const ALIGNMENT: usize = 64;
/// Longest header accepted; NumPy's own headers are under a hundred bytes.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// What a header declares, and how many bytes precede the elements.
pub(super) struct Header {
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    pub len: u64,
}

/// Read a header; the error says what is wrong, in words.
pub(super) fn read(reader: &mut impl Read) -> Result<Header, String> {
    let mut preamble = [0u8; 8];
    reader
        .read_exact(&mut preamble)
        .map_err(|e| format!("cannot read its first 8 bytes ({e})"))?;
    if &preamble[..6] != MAGIC {
        return Err("it does not start with \\x93NUMPY".into());
    }
    let (major, minor) = (preamble[6], preamble[7]);
    let length_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(format!(
                "format version {major}.{minor}; expected 1.0, 2.0 or 3.0"
            ))
        }
    };
    let mut length = [0u8; 4];
    reader
        .read_exact(&mut length[..length_bytes])
        .map_err(|e| format!("cannot read the header length ({e})"))?;
    let text_len = u32::from_le_bytes(length) as usize;
    if text_len > MAX_HEADER_BYTES {
        return Err(format!(
            "a header of {text_len} bytes; expected at most {MAX_HEADER_BYTES}"
        ));
    }
    let mut raw = vec![0u8; text_len];
    reader
        .read_exact(&mut raw)
        .map_err(|e| format!("its header is cut short ({e})"))?;
    let text = if major == 3 {
        String::from_utf8(raw).map_err(|_| "its header is not UTF-8".to_string())?
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let (descr, fortran_order, shape) =
        parse(&text).map_err(|e| format!("header {text:?}: {e}"))?;
    Ok(Header {
        descr,
        fortran_order,
        shape,
        len: (8 + length_bytes + text_len) as u64,
    })
}

/// Parse `{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }`.
fn parse(text: &str) -> Result<(String, bool, Vec<u64>), String> {
    let mut p = Parser {
        text: text.trim_end().as_bytes(),
        pos: 0,
    };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    p.expect(b'{')?;
    while !p.eat(b'}') {
        let key = p.string()?;
        p.expect(b':')?;
        match key.as_str() {
            "descr" => descr = Some(p.string().map_err(|e| format!("descr: {e}"))?),
            "fortran_order" => fortran_order = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unexpected key '{other}'")),
        }
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    if p.pos != p.text.len() {
        return Err(format!("unexpected text after the dict at byte {}", p.pos));
    }
    Ok((
        descr.ok_or("no 'descr'")?,
        fortran_order.ok_or("no 'fortran_order'")?,
        shape.ok_or("no 'shape'")?,
    ))
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        while self.text.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_spaces();
        let found = self.text.get(self.pos) == Some(&c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_spaces();
        let quote = match self.text.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => {
                return Err(format!(
                    "expected a quoted string at byte {} (structured dtypes are not supported)",
                    self.pos
                ))
            }
        };
        let start = self.pos + 1;
        let len = self.text[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or("unterminated string")?;
        self.pos = start + len + 1;
        Ok(String::from_utf8_lossy(&self.text[start..start + len]).into_owned())
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.skip_spaces();
        for (word, value) in [("True", true), ("False", false)] {
            if self.text[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.pos))
    }

    /// `()`, `(3,)`, `(2, 3)`; Python 2's `3L` is accepted too.
    fn tuple(&mut self) -> Result<Vec<u64>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        while !self.eat(b')') {
            self.skip_spaces();
            let digits = self.text[self.pos..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let number = std::str::from_utf8(&self.text[self.pos..self.pos + digits])
                .ok()
                .and_then(|d| d.parse::<u64>().ok())
                .ok_or_else(|| format!("expected a dimension at byte {}", self.pos))?;
            self.pos += digits;
            self.eat(b'L');
            dims.push(number);
            if !self.eat(b',') {
                self.expect(b')')?;
                break;
            }
        }
        Ok(dims)
    }
}

/// The bytes of a version 1.0 header for a C-order array of `descr` with `shape`,
/// padded so that the elements start at a multiple of 64 bytes.
pub(crate) fn encode(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("{n},"),
        _ => shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.extend(std::iter::repeat_n(
        ' ',
        unpadded.next_multiple_of(ALIGNMENT) - unpadded,
    ));
    dict.push('\n');
    let mut out = Vec::with_capacity(unpadded.next_multiple_of(ALIGNMENT));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(descr: &str, fortran: &str, shape: &str) -> String {
        format!("{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}")
    }

    #[test]
    fn parses_what_numpy_writes_and_python_2_shapes() {
        let parsed = parse(&dict("'<i8'", "False", "(3,)")).unwrap();
        assert_eq!(parsed, ("<i8".to_string(), false, vec![3]));
        let parsed = parse("{'descr': '|S3', 'fortran_order': True, 'shape': ()}").unwrap();
        assert_eq!(parsed, ("|S3".to_string(), true, vec![]));
        let parsed = parse(&dict("\"<f8\"", "False", "(2L, 7L)")).unwrap();
        assert_eq!(parsed, ("<f8".to_string(), false, vec![2, 7]));
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let cases = [
            (
                "{'descr': '<i4', 'shape': (1,), }".to_string(),
                "no 'fortran_order'",
            ),
            (dict("[('a', '<i4')]", "False", "(1,)"), "structured"),
            (dict("'<i4'", "false", "(1,)"), "True or False"),
            (dict("'<i4'", "False", "(-1,)"), "dimension"),
            (dict("'<i4'", "False", "(1,)") + " x", "after the dict"),
            (
                "{'descr': '<i4', 'order': 'C'}".to_string(),
                "unexpected key 'order'",
            ),
        ];
        for (text, expected) in cases {
            let e = parse(&text).unwrap_err();
            assert!(e.contains(expected), "{expected:?} not in {e:?}");
        }
    }

    #[test]
    fn encoded_headers_are_aligned_and_read_back() {
        for shape in [&[][..], &[5], &[2, 3]] {
            let bytes = encode("<f8", shape);
            assert_eq!(bytes.len() % ALIGNMENT, 0);
            assert_eq!(bytes.last(), Some(&b'\n'));
            let header = read(&mut &bytes[..]).unwrap();
            let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
            assert_eq!((header.descr.as_str(), header.shape), ("<f8", dims));
            assert_eq!(header.len, bytes.len() as u64);
        }
    }
}
