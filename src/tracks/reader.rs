//! Reading recorded positions ("tracks") from CSV.
//!
//! Format: a header that contains the columns `track`, `frame`, `x` and `y` in any order
//! (other columns are ignored; surrounding spaces are trimmed), then one row per annotated
//! position. `track` is any non-empty identifier, `frame` an integer frame number, and
//! `x`, `y` are finite positions in metres. The rows of one track are consecutive, its
//! frames strictly increase, and it has at least two positions. The spacing of frames is
//! not checked: a skipped annotation (two frame steps at once) is accepted as one step.
//!
//! Every error names the source (file) and the line, counting the header as line 1.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
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
        .from_reader(reader);
    let header = csv
        .headers()
        .map_err(|e| from_csv_error(e, source, &place))?
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
                        header.iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
    }
    let [track_col, frame_col, x_col, y_col] = column;

    let mut tracks: Vec<Track> = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    let mut last_line = 1;
    for record in csv.records() {
        let record = record.map_err(|e| from_csv_error(e, source, &place))?;
        let line = record.position().map_or(last_line + 1, |p| p.line());
        let id = &record[track_col];
        if id.is_empty() {
            return Err(invalid(line, "the track id is empty".into()));
        }
        let frame: i64 = record[frame_col].parse().map_err(|_| {
            invalid(
                line,
                format!(
                    "frame `{}` is not an integer frame number",
                    &record[frame_col]
                ),
            )
        })?;
        let coordinate = |name: &str, col: usize| -> Result<f64> {
            let text = &record[col];
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                Ok(_) => Err(invalid(
                    line,
                    format!("{name} = `{text}` is not a finite number of metres"),
                )),
                Err(_) => Err(invalid(line, format!("{name} = `{text}` is not a number"))),
            }
        };
        let point = TrackPoint {
            frame,
            x: coordinate("x", x_col)?,
            y: coordinate("y", y_col)?,
        };
        match tracks.last_mut() {
            Some(current) if current.id == id => {
                let previous = current.points[current.points.len() - 1].frame;
                if frame <= previous {
                    return Err(invalid(
                        line,
                        format!(
                            "frame {frame} of track {id} does not follow frame {previous}; frames must increase within a track"
                        ),
                    ));
                }
                current.points.push(point);
            }
            current => {
                if let Some(finished) = current {
                    check_not_single(finished, last_line, &invalid)?;
                }
                if let Some(first) = first_line_of.get(id) {
                    return Err(invalid(
                        line,
                        format!(
                            "track {id} resumes here after other tracks (it began on line {first}); a track's rows must be consecutive"
                        ),
                    ));
                }
                first_line_of.insert(id.to_string(), line);
                tracks.push(Track {
                    id: id.to_string(),
                    points: vec![point],
                });
            }
        }
        last_line = line;
    }
    match tracks.last() {
        None => Err(invalid(
            2,
            "the header is followed by no positions; expected at least one track".into(),
        )),
        Some(last) => {
            check_not_single(last, last_line, &invalid)?;
            Ok(tracks)
        }
    }
}

/// Read a track file; errors name the file.
pub fn read_tracks_file(path: &Path) -> Result<Vec<Track>> {
    read_tracks(open(path)?, &path.display().to_string())
}

fn check_not_single(
    track: &Track,
    line: u64,
    invalid: &impl Fn(u64, String) -> Error,
) -> Result<()> {
    if track.points.len() < 2 {
        return Err(invalid(
            line,
            format!(
                "track {} has a single position; a track needs at least two",
                track.id
            ),
        ));
    }
    Ok(())
}

fn from_csv_error(e: csv::Error, source: &str, place: &impl Fn(u64) -> String) -> Error {
    let line = e.position().map_or(1, csv::Position::line);
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
        other => format!("cannot be read as CSV: {other:?}"),
    };
    Error::InvalidTracks {
        place: place(line),
        message,
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
        assert!(message.contains("began on line 2"), "{message}");
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
