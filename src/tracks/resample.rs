//! Resampling a track to a fixed time step.
//!
//! A track annotated at frames f_0 < f_1 < … of a recording at F frames per second is
//! sampled at the frames g_k = f_0 + k·Δ·F for k = 0, 1, … while g_k ≤ f_last, each
//! position interpolated linearly between the two annotations around g_k (exact at an
//! annotation). Step k of the result is therefore k·Δ seconds after the track's first
//! annotation, whatever the spacing of the annotations; a gap between annotations is
//! bridged by a straight line at constant speed. A sample's `frame` is g_k rounded to the
//! nearest frame.

use super::reader::{Track, TrackPoint};
use crate::error::{quote, Error, Result};

/// The time grid of a resampling.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TimeStep {
    /// Δ in seconds.
    pub seconds: f64,
    /// Frames per second of the recording.
    pub fps: f64,
}

impl TimeStep {
    /// A checked time step: Δ > 0 and F > 0, both finite, with Δ·F ≥ 10⁻⁶ frames.
    pub fn new(seconds: f64, fps: f64) -> Result<Self> {
        if !(seconds.is_finite() && seconds > 0.0) {
            return Err(Error::param(
                "time_step",
                format!("must be a positive number of seconds, got {seconds}"),
            ));
        }
        if !(fps.is_finite() && fps > 0.0) {
            return Err(Error::param(
                "fps",
                format!("must be a positive number of frames per second, got {fps}"),
            ));
        }
        if seconds * fps < 1e-6 {
            return Err(Error::param(
                "time_step",
                format!("{seconds} s at {fps} frames per second is below a millionth of a frame"),
            ));
        }
        Ok(Self { seconds, fps })
    }

    /// Frames per step, Δ·F.
    pub fn frames(&self) -> f64 {
        self.seconds * self.fps
    }
}

/// The most samples one track may resample to.
pub const MAX_SAMPLES_PER_TRACK: usize = 10_000_000;

/// The track sampled every Δ seconds from its first annotation (see the module
/// documentation). A track shorter than Δ keeps its first position only; one that would
/// need more than [`MAX_SAMPLES_PER_TRACK`] samples is an error naming it.
pub fn resample(track: &Track, step: TimeStep) -> Result<Track> {
    let points = &track.points;
    let (first, last) = match (points.first(), points.last()) {
        (Some(a), Some(b)) => (a.frame as f64, b.frame as f64),
        _ => {
            return Err(Error::InvalidTracks {
                place: format!("track {}", quote(&track.id)),
                message: "has no positions".into(),
            })
        }
    };
    let steps = ((last - first) / step.frames() + 1e-9).floor();
    if steps.is_nan() || steps >= MAX_SAMPLES_PER_TRACK as f64 {
        return Err(Error::InvalidTracks {
            place: format!("track {}", quote(&track.id)),
            message: format!(
                "frames {first} to {last} at {} frames a step need more than {MAX_SAMPLES_PER_TRACK} \
                 samples; check the frame numbers, --fps and --time-step",
                step.frames()
            ),
        });
    }
    let n = steps as usize + 1;
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    for k in 0..n {
        let g = first + k as f64 * step.frames();
        while i + 1 < points.len() && (points[i + 1].frame as f64) < g {
            i += 1;
        }
        let a = points[i];
        let b = points[(i + 1).min(points.len() - 1)];
        let span = (b.frame - a.frame) as f64;
        let w = if span > 0.0 {
            ((g - a.frame as f64) / span).clamp(0.0, 1.0)
        } else {
            0.0
        };
        out.push(TrackPoint {
            frame: g.round() as i64,
            x: a.x + w * (b.x - a.x),
            y: a.y + w * (b.y - a.y),
        });
    }
    Ok(Track {
        id: track.id.clone(),
        points: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(points: &[(i64, f64, f64)]) -> Track {
        Track {
            id: "t".into(),
            points: points
                .iter()
                .map(|&(frame, x, y)| TrackPoint { frame, x, y })
                .collect(),
        }
    }

    #[test]
    fn positions_at_every_step_by_hand() {
        // Frames 0, 10, 30 at 25 fps; Δ = 0.4 s = 10 frames: samples at 0, 10, 20, 30.
        let t = track(&[(0, 0.0, 0.0), (10, 1.0, 0.0), (30, 1.0, 2.0)]);
        let r = resample(&t, TimeStep::new(0.4, 25.0).unwrap()).unwrap();
        let got: Vec<(i64, f64, f64)> = r.points.iter().map(|p| (p.frame, p.x, p.y)).collect();
        assert_eq!(
            got,
            vec![
                (0, 0.0, 0.0),
                (10, 1.0, 0.0),
                (20, 1.0, 1.0),
                (30, 1.0, 2.0)
            ]
        );
        // Δ = 0.6 s = 15 frames: samples at 0 and 15, (15 − 10)/20 of the way to (1, 2).
        let r = resample(&t, TimeStep::new(0.6, 25.0).unwrap()).unwrap();
        assert_eq!(r.points.len(), 3);
        assert_eq!((r.points[1].x, r.points[1].y), (1.0, 0.5));
        assert_eq!(r.points[2].frame, 30);
        assert!((r.points[2].y - 2.0).abs() < 1e-12);
    }

    #[test]
    fn bad_time_steps_are_named() {
        assert!(TimeStep::new(0.0, 25.0)
            .unwrap_err()
            .to_string()
            .contains("time_step"));
        assert!(TimeStep::new(0.4, -1.0)
            .unwrap_err()
            .to_string()
            .contains("fps"));
        assert!(TimeStep::new(f64::NAN, 25.0).is_err());
        assert!(TimeStep::new(1e-9, 1.0).is_err());
        let long = track(&[(0, 0.0, 0.0), (i64::MAX / 2, 1.0, 0.0)]);
        let e = resample(&long, TimeStep::new(0.4, 25.0).unwrap()).unwrap_err();
        assert!(e.to_string().contains("track t"), "{e}");
    }
}
