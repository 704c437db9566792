//! NumPy `.npy` arrays, the members of an `.npz` archive.
//!
//! A `.npy` array is the magic string `\x93NUMPY`, a version byte pair (1.0, 2.0 or 3.0),
//! the header length (u16 little-endian for 1.0, u32 for 2.0 and 3.0), the header, and
//! the elements. The header is a Python dict literal,
//! `{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }`, padded with spaces and
//! ended by a newline so that the elements start at a multiple of 64 bytes (3.0 differs
//! from 2.0 only in allowing UTF-8 in the header). `descr` is the element type: byte order
//! (`<` little-endian, `>` big-endian, `|` not applicable), kind and size in bytes: `i4`
//! int32, `i8` int64, `f4` float32, `f8` float64, `S3` a 3-byte string. Elements follow in
//! C order (last index fastest), or Fortran order when `fortran_order` is true; the two
//! agree for 0-d and 1-D arrays.
//!
//! Reading covers what a SciPy CSR matrix holds: 1-D little-endian integers (`<i4`,
//! `<i8`) and floats (`<f4` widened, `<f8`), streamed element by element into the
//! caller's own types, and 0-d strings (`|Sn`, `<Un`). Writing produces 1.0 headers.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Elements start at a multiple of this many bytes, as NumPy aligns them.
const ALIGNMENT: usize = 64;
/// Longest header accepted; NumPy's own headers are under a hundred bytes.
const MAX_HEADER_BYTES: usize = 1 << 20;
/// Bytes decoded per read while streaming elements.
const CHUNK_BYTES: usize = 1 << 16;

/// Element types of the arrays read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    I32,
    I64,
    F32,
    F64,
    Bytes(usize),
    Utf32(usize),
}

impl Dtype {
    fn parse(descr: &str) -> Option<Self> {
        let width = |prefix: &str| descr.strip_prefix(prefix)?.parse::<usize>().ok();
        match descr {
            "<i4" => Some(Dtype::I32),
            "<i8" => Some(Dtype::I64),
            "<f4" => Some(Dtype::F32),
            "<f8" => Some(Dtype::F64),
            _ => width("|S")
                .map(Dtype::Bytes)
                .or_else(|| width("<U").map(Dtype::Utf32)),
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
            Dtype::Bytes(n) => n,
            Dtype::Utf32(n) => 4 * n,
        }
    }
}

/// One `.npy` member opened for reading: its header is parsed, its elements follow.
pub(crate) struct NpyReader<R> {
    reader: R,
    member: String,
    descr: String,
    shape: Vec<u64>,
    /// Bytes after the header, when the container says how long the member is.
    data_bytes: Option<u64>,
}

impl<R: Read> NpyReader<R> {
    /// Parse the header of `member`; `stored_size`, the member's length in bytes when the
    /// container records it, must then match what the header declares.
    pub fn open(mut reader: R, member: &str, stored_size: Option<u64>) -> Result<Self> {
        let bad = |what: String| Error::mdp(member, format!("is not a valid .npy array: {what}"));
        let mut preamble = [0u8; 8];
        reader
            .read_exact(&mut preamble)
            .map_err(|e| bad(format!("cannot read its first 8 bytes ({e})")))?;
        if &preamble[..6] != MAGIC {
            return Err(bad("it does not start with \\x93NUMPY".into()));
        }
        let (major, minor) = (preamble[6], preamble[7]);
        let length_bytes = match (major, minor) {
            (1, 0) => 2,
            (2, 0) | (3, 0) => 4,
            _ => {
                return Err(bad(format!(
                    "format version {major}.{minor}; expected 1.0, 2.0 or 3.0"
                )))
            }
        };
        let mut length = [0u8; 4];
        reader
            .read_exact(&mut length[..length_bytes])
            .map_err(|e| bad(format!("cannot read the header length ({e})")))?;
        let header_len = u32::from_le_bytes(length) as usize;
        if header_len > MAX_HEADER_BYTES {
            return Err(bad(format!(
                "a header of {header_len} bytes; expected at most {MAX_HEADER_BYTES}"
            )));
        }
        let mut raw = vec![0u8; header_len];
        reader
            .read_exact(&mut raw)
            .map_err(|e| bad(format!("its header is cut short ({e})")))?;
        let text = if major == 3 {
            String::from_utf8(raw).map_err(|_| bad("its header is not UTF-8".into()))?
        } else {
            raw.iter().map(|&b| char::from(b)).collect()
        };
        let header = parse_header(&text).map_err(|e| bad(format!("header {text:?}: {e}")))?;
        if header.fortran_order && header.shape.len() > 1 {
            return Err(Error::mdp(
                member,
                format!(
                    "is a {}-D array in Fortran (column-major) order; expected a 1-D array",
                    header.shape.len()
                ),
            ));
        }
        let data_bytes = stored_size
            .map(|size| size.checked_sub((8 + length_bytes + header_len) as u64))
            .map(|rest| rest.ok_or_else(|| bad("the member is shorter than its header".into())))
            .transpose()?;
        Ok(Self {
            reader,
            member: member.to_string(),
            descr: header.descr,
            shape: header.shape,
            data_bytes,
        })
    }

    /// The number of elements of a 1-D array.
    /// When the element type is one read here and the container gave the member's
    /// length, the header's element count is checked against it.
    pub fn vector_len(&self) -> Result<usize> {
        let len = match self.shape[..] {
            [n] => {
                usize::try_from(n).map_err(|_| self.error(format!("{n} elements are too many")))?
            }
            _ => {
                return Err(self.error(format!(
                    "has shape {}, expected a 1-D array",
                    shape_text(&self.shape)
                )))
            }
        };
        if let Some(dtype) = Dtype::parse(&self.descr) {
            let bytes = (len as u64).checked_mul(dtype.size() as u64);
            self.check_data_bytes(bytes.unwrap_or(u64::MAX))?;
        }
        Ok(len)
    }

    /// Stream a 1-D `<i4` or `<i8` array: `each(k, value)` for k = 0, 1, ….
    pub fn read_integers(self, each: impl FnMut(usize, i64) -> Result<()>) -> Result<()> {
        let expected = "int32 '<i4' or int64 '<i8'";
        match self.dtype(expected)? {
            Dtype::I32 => self.stream(4, each, |b| i32::from_le_bytes(bytes(b)) as i64),
            Dtype::I64 => self.stream(8, each, |b| i64::from_le_bytes(bytes(b))),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Stream a 1-D `<f8` array, or a `<f4` one widened: `each(k, value)` for k = 0, 1, ….
    pub fn read_floats(self, each: impl FnMut(usize, f64) -> Result<()>) -> Result<()> {
        let expected = "float64 '<f8' (or float32 '<f4')";
        match self.dtype(expected)? {
            Dtype::F64 => self.stream(8, each, |b| f64::from_le_bytes(bytes(b))),
            Dtype::F32 => self.stream(4, each, |b| f32::from_le_bytes(bytes(b)) as f64),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Read a 0-d string (`|Sn` bytes or `<Un` UTF-32), without its trailing NULs.
    pub fn read_string(mut self) -> Result<String> {
        let expected = "a 0-d string such as b'csr' ('|S3')";
        let dtype = self.dtype(expected)?;
        if !matches!(dtype, Dtype::Bytes(_) | Dtype::Utf32(_)) {
            return Err(self.wrong_dtype(expected));
        }
        if !self.shape.is_empty() {
            return Err(self.error(format!(
                "has shape {}, expected {expected}",
                shape_text(&self.shape)
            )));
        }
        self.check_data_bytes(dtype.size() as u64)?;
        let mut raw = vec![0u8; dtype.size()];
        self.reader
            .read_exact(&mut raw)
            .map_err(|e| self.error(format!("is cut short ({e})")))?;
        self.expect_end()?;
        let text = match dtype {
            Dtype::Utf32(_) => raw
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_le_bytes(bytes(c))).unwrap_or('\u{fffd}'))
                .collect(),
            _ => raw.iter().map(|&b| char::from(b)).collect::<String>(),
        };
        Ok(text.trim_end_matches('\0').to_string())
    }

    fn dtype(&self, expected: &str) -> Result<Dtype> {
        Dtype::parse(&self.descr).ok_or_else(|| self.wrong_dtype(expected))
    }

    fn wrong_dtype(&self, expected: &str) -> Error {
        let order = if self.descr.starts_with('>') {
            "is big-endian"
        } else {
            "is not supported"
        };
        self.error(format!(
            "dtype '{}' {order}; expected {expected}",
            self.descr
        ))
    }

    fn error(&self, message: String) -> Error {
        Error::mdp(self.member.as_str(), message)
    }

    fn check_data_bytes(&self, expected: u64) -> Result<()> {
        match self.data_bytes {
            Some(found) if found != expected => Err(self.error(format!(
                "holds {found} bytes of elements, but its header declares shape {} of '{}', \
                 which is {expected} bytes",
                shape_text(&self.shape),
                self.descr
            ))),
            _ => Ok(()),
        }
    }

    /// Decode `len` elements of `size` bytes in chunks, then check that nothing follows.
    fn stream<T>(
        mut self,
        size: usize,
        mut each: impl FnMut(usize, T) -> Result<()>,
        decode: impl Fn(&[u8]) -> T,
    ) -> Result<()> {
        let len = self.vector_len()?;
        let mut buffer = vec![0u8; CHUNK_BYTES / size * size];
        let mut done = 0;
        while done < len {
            let count = (len - done).min(buffer.len() / size);
            let chunk = &mut buffer[..count * size];
            if let Err(e) = self.reader.read_exact(chunk) {
                return Err(self.error(format!(
                    "cannot read elements {done}..{} of {len} ({e})",
                    done + count
                )));
            }
            for (j, item) in chunk.chunks_exact(size).enumerate() {
                each(done + j, decode(item))?;
            }
            done += count;
        }
        self.expect_end()
    }

    /// One more read must find the end: this also makes a zip reader check its CRC.
    fn expect_end(&mut self) -> Result<()> {
        let mut probe = [0u8; 1];
        match self.reader.read(&mut probe) {
            Ok(0) => Ok(()),
            Ok(_) => Err(self.error(format!(
                "has bytes after the elements its header declares (shape {})",
                shape_text(&self.shape)
            ))),
            Err(e) => Err(self.error(format!("cannot be read to its end ({e})"))),
        }
    }
}

fn bytes<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into()
        .expect("chunks_exact gives slices of the element size")
}

fn shape_text(shape: &[u64]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// Parse `{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }`.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
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
    Ok(Header {
        descr: descr.ok_or("no 'descr'")?,
        fortran_order: fortran_order.ok_or("no 'fortran_order'")?,
        shape: shape.ok_or("no 'shape'")?,
    })
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

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.pos))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
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

    fn boolean(&mut self) -> std::result::Result<bool, String> {
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
    fn tuple(&mut self) -> std::result::Result<Vec<u64>, String> {
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
pub(crate) fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
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

/// Write a 1-D array: its header, then each value encoded by `encode` in chunks.
pub(crate) fn write_vector<T: Copy, const N: usize>(
    writer: &mut impl Write,
    descr: &str,
    values: &[T],
    encode: impl Fn(T) -> [u8; N],
) -> io::Result<()> {
    writer.write_all(&header(descr, &[values.len()]))?;
    let mut buffer = Vec::with_capacity(CHUNK_BYTES);
    for chunk in values.chunks(CHUNK_BYTES / N) {
        buffer.clear();
        buffer.extend(chunk.iter().flat_map(|&v| encode(v)));
        writer.write_all(&buffer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` array as NumPy lays it out, built by hand.
    fn npy(version: u8, dict: &str, elements: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        let text = format!("{dict}\n");
        if version == 1 {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(elements);
        out
    }

    fn integers(data: &[u8]) -> Result<Vec<i64>> {
        let mut out = vec![];
        let size = Some(data.len() as u64);
        NpyReader::open(data, "m.npy", size)?.read_integers(|k, v| {
            assert_eq!(k, out.len());
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    fn error(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn reads_each_version_and_integer_width() {
        let i4: Vec<u8> = [7i32, -2, 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let i8: Vec<u8> = [7i64, -2, 1 << 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let dict = |d: &str| format!("{{'descr': '{d}', 'fortran_order': False, 'shape': (3,), }}");
        assert_eq!(integers(&npy(1, &dict("<i4"), &i4)).unwrap(), [7, -2, 40]);
        assert_eq!(
            integers(&npy(2, &dict("<i8"), &i8)).unwrap(),
            [7, -2, 1 << 40]
        );
        assert_eq!(
            integers(&npy(3, &dict("<i8"), &i8)).unwrap(),
            [7, -2, 1 << 40]
        );
        let python2 = "{'descr': '<i4', 'fortran_order': False, 'shape': (3L,)}";
        assert_eq!(integers(&npy(1, python2, &i4)).unwrap(), [7, -2, 40]);
    }

    #[test]
    fn floats_widen_from_f4() {
        let f4: Vec<u8> = [0.25f32, 0.1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let data = npy(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
            &f4,
        );
        let mut out = vec![];
        NpyReader::open(&data[..], "d.npy", None)
            .unwrap()
            .read_floats(|_, v| {
                out.push(v);
                Ok(())
            })
            .unwrap();
        assert_eq!(out, [0.25, 0.1f32 as f64]);
    }

    #[test]
    fn strings_lose_trailing_nuls() {
        let s = npy(
            1,
            "{'descr': '|S5', 'fortran_order': False, 'shape': (), }",
            b"csr\0\0",
        );
        let text = NpyReader::open(&s[..], "f.npy", Some(s.len() as u64)).unwrap();
        assert_eq!(text.read_string().unwrap(), "csr");
        let utf32: Vec<u8> = "csc"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        let u = npy(
            1,
            "{'descr': '<U3', 'fortran_order': False, 'shape': (), }",
            &utf32,
        );
        let text = NpyReader::open(&u[..], "f.npy", None).unwrap();
        assert_eq!(text.read_string().unwrap(), "csc");
    }

    #[test]
    fn bad_headers_and_sizes_are_named() {
        let i4 = [1u8, 0, 0, 0];
        let cases = [
            (
                npy(
                    1,
                    "{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }",
                    &i4,
                ),
                "'>i4' is big-endian",
            ),
            (
                npy(
                    1,
                    "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }",
                    &i4,
                ),
                "'<u2' is not supported",
            ),
            (
                npy(
                    1,
                    "{'descr': '<i4', 'fortran_order': True, 'shape': (1, 1), }",
                    &i4,
                ),
                "Fortran",
            ),
            (
                npy(
                    1,
                    "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }",
                    &i4,
                ),
                "expected a 1-D array",
            ),
            (
                npy(
                    1,
                    "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                    &i4,
                ),
                "holds 4 bytes",
            ),
            (
                npy(
                    1,
                    "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
                    &[1, 0, 0, 0, 9],
                ),
                "holds 5 bytes",
            ),
            (
                npy(1, "{'descr': '<i4', 'shape': (1,), }", &i4),
                "no 'fortran_order'",
            ),
            (
                npy(
                    1,
                    "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                    &i4,
                ),
                "structured",
            ),
            (
                npy(
                    4,
                    "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }",
                    &i4,
                ),
                "version 4.0",
            ),
            (b"\x93NUMPX\x01\x00".to_vec(), "\\x93NUMPY"),
        ];
        for (data, expected) in cases {
            let e = error(integers(&data));
            assert!(
                e.contains("m.npy") && e.contains(expected),
                "{expected:?} not in {e:?}"
            );
        }
        let short = npy(
            1,
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
            &i4,
        );
        let e = error(
            NpyReader::open(&short[..], "m.npy", None)
                .unwrap()
                .read_integers(|_, _| Ok(())),
        );
        assert!(e.contains("cannot read elements 0..2 of 2"), "{e}");
    }

    #[test]
    fn written_headers_are_aligned_and_read_back() {
        let mut out = vec![];
        write_vector(&mut out, "<i8", &[3i64, -1, 5], i64::to_le_bytes).unwrap();
        let header_len = out.len() - 24;
        assert_eq!(header_len % ALIGNMENT, 0);
        assert_eq!(out[header_len - 1], b'\n');
        assert_eq!(integers(&out).unwrap(), [3, -1, 5]);
        let big: Vec<i32> = (0..100_000).collect();
        let mut out = vec![];
        write_vector(&mut out, "<i4", &big, i32::to_le_bytes).unwrap();
        let back = integers(&out).unwrap();
        assert!(back.iter().zip(&big).all(|(a, &b)| *a == b as i64) && back.len() == big.len());
    }
}
