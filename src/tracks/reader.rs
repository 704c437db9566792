//! Reading recorded positions ("tracks") from CSV.
//!
//! Format: a header that contains the columns `track`, `frame`, `x` and `y` in any order
//! (other columns are ignored; surrounding spaces are trimmed), then one row per annotated
//! position. `track` is any non-empty identifier, `frame` an integer frame number, and
//! `x`, `y` are finite positions in metres. The rows of one track are consecutive (a track
//! whose id appears again after other tracks' rows is an error naming both places), its
//! frames strictly increase, and it has at least two positions. The spacing of frames is
//! not checked: a skipped annotation (two frame steps at once) is accepted as one step.
//!
//! Every error names the source (file) and the line, counting the header as line 1.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::{quote, quote_parser_message, Error, Result};
use crate::io::open;

/// One annotated position of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    pub frame: i64,
    pub x: f64,
    pub y: f64,
}

/// The positions of one pedestrian, in increasing frame order.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: String,
    pub points: Vec<TrackPoint>,
}

/// The columns a track file must have.
pub const TRACK_COLUMNS: [&str; 4] = ["track", "frame", "x", "y"];

/// Read tracks from CSV; `source` (a file name) starts the place of every error.
pub fn read_tracks(reader: impl Read, source: &str) -> Result<Vec<Track>> {
    let place = |line: u64| {
        if source.is_empty() {
            format!("line {line}")
        } else {
            format!("{source}, line {line}")
        }
    };
    let invalid = |line: u64, message: String| Error::InvalidTracks {
        place: place(line),
        message,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(LineBreaks::new(reader));
    let header = csv
        .headers()
        .map_err(|e| from_csv_error(e, source, &place, 1))?
        .clone();
    if header.iter().all(str::is_empty) {
        return Err(invalid(
            1,
            "the file is empty; expected a header with the columns track, frame, x, y".into(),
        ));
    }
    let mut column = [0; 4];
    for (slot, name) in column.iter_mut().zip(TRACK_COLUMNS) {
        let mut found = header.iter().enumerate().filter(|(_, h)| *h == name);
        *slot = match (found.next(), found.next()) {
            (Some((i, _)), None) => i,
            (Some(_), Some(_)) => {
                return Err(invalid(1, format!("the column `{name}` appears twice")));
            }
            (None, _) => {
                return Err(invalid(
                    1,
                    format!(
                        "missing column `{name}`; the header must contain track, frame, x, y (found: {})",
                        quote(&header.iter().collect::<Vec<_>>().join(", "))
                    ),
                ));
            }
        };
    }
    let [track_col, frame_col, x_col, y_col] = column;

    let mut tracks: Vec<Track> = Vec::new();
    // The first and the last line of each track's rows, parallel to `tracks`.
    let mut lines: Vec<(u64, u64)> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    let mut last_line = 1;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(last_line + 1, |p| csv.get_ref().line_of(p));
                return Err(from_csv_error(e, source, &place, line));
            }
        }
        let line = record
            .position()
            .map_or(last_line + 1, |p| csv.get_ref().line_of(p));
        last_line = line;
        let id = &record[track_col];
        if id.is_empty() {
            return Err(invalid(line, "the track id is empty".into()));
        }
        let frame: i64 = record[frame_col].parse().map_err(|_| {
            invalid(
                line,
                format!(
                    "frame `{}` is not an integer frame number",
                    quote(&record[frame_col])
                ),
            )
        })?;
        let coordinate = |name: &str, col: usize| -> Result<f64> {
            let text = &record[col];
            let shown = quote(text);
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => Err(invalid(
                    line,
                    format!("{name} = `{shown}` is not a finite number of metres"),
                )),
                Err(_) => Err(invalid(line, format!("{name} = `{shown}` is not a number"))),
            }
        };
        let point = TrackPoint {
            frame,
            x: coordinate("x", x_col)?,
            y: coordinate("y", y_col)?,
        };
        match (tracks.last_mut(), lines.last_mut()) {
            (Some(current), Some(current_lines)) if current.id == id => {
                let previous = current.points[current.points.len() - 1].frame;
                if frame <= previous {
                    return Err(invalid(
                        line,
                        format!(
                            "frame {frame} of track {} does not follow frame {previous}; frames must increase within a track",
                            quote(id)
                        ),
                    ));
                }
                current.points.push(point);
                current_lines.1 = line;
            }
            _ => {
                if let Some(&k) = index_of.get(id) {
                    let (first, last) = lines[k];
                    let seen = if first == last {
                        format!("line {first}")
                    } else {
                        format!("lines {first}..{last}")
                    };
                    return Err(invalid(
                        line,
                        format!(
                            "track {} appears again after other tracks' rows (first seen at {seen}); \
                             rows of a track must be consecutive — sort the file by track, then frame",
                            quote(id)
                        ),
                    ));
                }
                index_of.insert(id.to_string(), tracks.len());
                tracks.push(Track {
                    id: id.to_string(),
                    points: vec![point],
                });
                lines.push((line, line));
            }
        }
    }
    if tracks.is_empty() {
        return Err(invalid(
            2,
            "the header is followed by no positions; expected at least one track".into(),
        ));
    }
    if let Some(k) = tracks.iter().position(|t| t.points.len() < 2) {
        return Err(invalid(
            lines[k].0,
            format!(
                "track {} has a single position; a track needs at least two",
                quote(&tracks[k].id)
            ),
        ));
    }
    Ok(tracks)
}

/// Read a track file; errors name the file.
pub fn read_tracks_file(path: &Path) -> Result<Vec<Track>> {
    read_tracks(open(path)?, &path.display().to_string())
}

/// The error of the CSV reader at `line` (where the reader's position gives none, the
/// caller's guess).
fn from_csv_error(e: csv::Error, source: &str, place: &impl Fn(u64) -> String, line: u64) -> Error {
    let message = match e.into_kind() {
        csv::ErrorKind::Io(io_error) => {
            return Error::Io {
                path: source.into(),
                source: io_error,
            }
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields, expected {expected_len} as in the header"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".to_string(),
        other => format!(
            "cannot be read as CSV: {}",
            quote_parser_message(&format!("{other:?}"))
        ),
    };
    Error::InvalidTracks {
        place: place(line),
        message,
    }
}

/// A reader that notes where its input's line breaks are, to give every record its
/// line. The CSV reader's position of a record is where it began to read it: after the
/// `\r` of a `\r\n` that ended the previous record, or before the empty lines it skips,
/// so its line can be one or more too small. [`line_of`](Self::line_of) skips those line
/// breaks and counts lines itself.
struct LineBreaks<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// The byte before the current one (the `\r` of a `\r\n` may end the previous read).
    previous: u8,
    /// Offset of every `\n`, with [`AFTER_CR`] set when a `\r` precedes it.
    breaks: Vec<u64>,
}

/// The flag of a `\n` offset whose line ends with `\r\n`.
const AFTER_CR: u64 = 1 << 63;

impl<R: Read> LineBreaks<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            previous: 0,
            breaks: Vec::new(),
        }
    }

    /// The index in `breaks` of the `\n` at `byte`, and whether a `\r` precedes it.
    fn break_at(&self, byte: u64) -> Option<bool> {
        self.breaks
            .binary_search_by_key(&byte, |b| b & !AFTER_CR)
            .ok()
            .map(|i| self.breaks[i] & AFTER_CR != 0)
    }

    /// The line (from 1) of the first byte of the record the CSV reader placed at
    /// `position`: line breaks at the start are skipped.
    fn line_of(&self, position: &csv::Position) -> u64 {
        let mut byte = position.byte();
        loop {
            if self.break_at(byte).is_some() {
                byte += 1;
            } else if self.break_at(byte + 1) == Some(true) {
                byte += 2;
            } else {
                break;
            }
        }
        1 + self.breaks.partition_point(|b| b & !AFTER_CR < byte) as u64
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                let at = self.offset + i as u64;
                self.breaks.push(if self.previous == b'\r' {
                    at | AFTER_CR
                } else {
                    at
                });
            }
            self.previous = b;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Track>> {
        read_tracks(text.as_bytes(), "t.csv")
    }

    fn error(text: &str) -> (String, String) {
        match read(text).unwrap_err() {
            Error::InvalidTracks { place, message } => (place, message),
            other => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn columns_in_any_order_with_extras() {
        let tracks = read(
            "y, note, x,frame,track\n1.5,a,2,10,p\n2.5,b,3,20,p\n0,c,-1,5,q\n0,d,-1.25,15,q\n",
        )
        .unwrap();
        assert_eq!(tracks.len(), 2);
        assert_eq!(tracks[0].id, "p");
        assert_eq!(
            tracks[0].points,
            vec![
                TrackPoint {
                    frame: 10,
                    x: 2.0,
                    y: 1.5
                },
                TrackPoint {
                    frame: 20,
                    x: 3.0,
                    y: 2.5
                }
            ]
        );
        assert_eq!(tracks[1].points[1].x, -1.25);
    }

    #[test]
    fn empty_file_and_header_only() {
        assert_eq!(error("").0, "t.csv, line 1");
        assert!(error("").1.contains("empty"));
        let (place, message) = error("track,frame,x,y\n");
        assert_eq!(place, "t.csv, line 2");
        assert!(message.contains("no positions"), "{message}");
    }

    #[test]
    fn missing_and_duplicate_columns_are_named() {
        let (place, message) = error("track,frame,x,z\n1,1,0,0\n");
        assert_eq!(place, "t.csv, line 1");
        assert!(message.contains("missing column `y`"), "{message}");
        let (_, message) = error("track,frame,x,y,x\n1,1,0,0,0\n");
        assert!(message.contains("`x` appears twice"), "{message}");
    }

    #[test]
    fn bad_numbers_name_their_line() {
        let (place, message) = error("track,frame,x,y\n1,1,0,0\n1,2,abc,0\n");
        assert_eq!(place, "t.csv, line 3");
        assert!(message.contains("x = `abc` is not a number"), "{message}");
        let (place, message) = error("track,frame,x,y\n1,1,0,0\n1,2,0,0\n1,3,0,inf\n");
        assert_eq!(place, "t.csv, line 4");
        assert!(message.contains("y = `inf` is not a finite"), "{message}");
        let (place, message) = error("track,frame,x,y\n1,1,0,0\n1,2,0,1e400\n");
        assert_eq!(place, "t.csv, line 3");
        assert!(message.contains("finite"), "{message}");
        let (place, message) = error("track,frame,x,y\n1,1.5,0,0\n");
        assert_eq!(place, "t.csv, line 2");
        assert!(message.contains("frame `1.5`"), "{message}");
        let (place, message) = error("track,frame,x,y\n1,1,0,0\n1,2,0\n");
        assert_eq!(place, "t.csv, line 3");
        assert!(message.contains("3 fields, expected 4"), "{message}");
    }

    #[test]
    fn lines_after_empty_lines_and_crlf_are_counted_right() {
        // The CSV reader skips empty lines and places a record after a \r\n at the \n;
        // every row keeps its own line.
        let (place, _) = error("track,frame,x,y\na,1,0,0\n\na,2,abc,0\n");
        assert_eq!(place, "t.csv, line 4");
        let (place, _) = error("track,frame,x,y\r\na,1,0,0\r\n\r\n\r\na,2,0,0\r\na,3,0,x\r\n");
        assert_eq!(place, "t.csv, line 6");
        let (place, _) = error("track,frame,x,y\na,1,0,0\n\n\na,2,0\n");
        assert_eq!(place, "t.csv, line 5");
        let (place, _) = error("track,frame,x,y\r\na,1,0,0\r\na,2,0,0\r\na,3,0,x\r\n");
        assert_eq!(place, "t.csv, line 4");
        // Read one byte at a time, so that a \r\n falls across two reads.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        let text = "track,frame,x,y\r\na,1,0,0\r\n\r\na,2,abc,0\r\n";
        match read_tracks(Trickle(text.as_bytes()), "t.csv").unwrap_err() {
            Error::InvalidTracks { place, .. } => assert_eq!(place, "t.csv, line 4"),
            other => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn frames_must_increase_within_a_track() {
        let (place, message) = error("track,frame,x,y\n1,10,0,0\n1,20,0,0\n1,20,1,0\n");
        assert_eq!(place, "t.csv, line 4");
        assert!(
            message.contains("frame 20 of track 1 does not follow frame 20"),
            "{message}"
        );
        // A new track may start at any frame.
        assert_eq!(
            read("track,frame,x,y\n1,10,0,0\n1,20,0,0\n2,1,0,0\n2,2,0,0\n")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_track_must_be_consecutive() {
        let (place, message) =
            error("track,frame,x,y\n1,1,0,0\n1,2,0,0\n2,1,0,0\n2,2,0,0\n1,3,0,0\n");
        assert_eq!(place, "t.csv, line 6");
        assert_eq!(
            message,
            "track 1 appears again after other tracks' rows (first seen at lines 2..3); \
             rows of a track must be consecutive — sort the file by track, then frame"
        );
    }

    #[test]
    fn a_reappearing_track_is_named_before_any_single_position() {
        // a on lines 2..5, b on line 6 only, a again on line 7: the reappearance is the
        // error, not b's single position.
        let (place, message) = error(
            "track,frame,x,y\na,1,0,0\na,2,0,0\na,3,0,0\na,4,0,0\nb,1,0,0\na,5,0,0\nb,2,0,0\n",
        );
        assert_eq!(place, "t.csv, line 7");
        assert!(
            message.starts_with(
                "track a appears again after other tracks' rows (first seen at lines 2..5)"
            ),
            "{message}"
        );
        // a single row before the others: "line", and no single-position error for it.
        let (place, message) = error("track,frame,x,y\na,1,0,0\nb,1,0,0\nb,2,0,0\na,2,0,0\n");
        assert_eq!(place, "t.csv, line 5");
        assert!(message.contains("(first seen at line 2)"), "{message}");
        // Blank lines are skipped but counted: a's rows are on lines 2 and 4.
        let (place, message) =
            error("track,frame,x,y\na,1,0,0\n\na,2,0,0\nb,1,0,0\nb,2,0,0\na,3,0,0\n");
        assert_eq!(place, "t.csv, line 7");
        assert!(message.contains("(first seen at lines 2..4)"), "{message}");
    }

    #[test]
    fn a_single_point_track_is_rejected_at_its_line() {
        let (place, message) = error("track,frame,x,y\n1,1,0,0\n1,2,0,0\n2,1,0,0\n3,1,0,0\n");
        assert_eq!(place, "t.csv, line 4");
        assert!(
            message.contains("track 2 has a single position"),
            "{message}"
        );
        let (place, _) = error("track,frame,x,y\n1,1,0,0\n1,2,0,0\n2,1,0,0\n");
        assert_eq!(place, "t.csv, line 4");
    }

    #[test]
    fn empty_track_id_is_rejected() {
        let (place, message) = error("track,frame,x,y\n,1,0,0\n");
        assert_eq!(place, "t.csv, line 2");
        assert!(message.contains("empty"), "{message}");
    }

    #[test]
    fn the_file_wrapper_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("walk.csv");
        std::fs::write(&path, "track,frame,x,y\n7,1,0,0\n7,0,0,0\n").unwrap();
        let e = read_tracks_file(&path).unwrap_err().to_string();
        assert!(e.contains("walk.csv, line 3"), "{e}");
        let missing = read_tracks_file(&dir.path().join("none.csv"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none.csv"), "{missing}");
    }
}
