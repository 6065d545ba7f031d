//! Reading event files: one file incrementally (tailing a file still being written), a log
//! directory of runs, and turning summary values back into typed data.
//!
//! Framing follows `docs/formats.md` §1: a short read at the end of a file is "no more records
//! yet", a CRC mismatch is corruption (a `DataLoss` error naming the file and byte offset, or
//! a warning and a resynchronisation with [`OnCorruption::Skip`]).

mod logdir;
mod values;

pub use logdir::{runs, LogDir, Run, RunReader, RunUpdate};
pub use values::{
    decode_graph, histogram, images, plugin_name, run_metadata_graphs, summary_data, tensor_f64s, text, value_as_f64,
    ImageBlob, SummaryData,
};

use super::proto;
use super::record::{frame, Frame};
use crate::error::{Error, ErrorKind, Result};
use prost::Message;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes read from the file at a time when records are small.
const CHUNK: usize = 64 * 1024;

/// What a reader does when a record is corrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnCorruption {
    /// Return a `DataLoss` error (again on every later call: the reader does not move past it).
    #[default]
    Stop,
    /// Record a [`ReadWarning`] and resume at the next valid record.
    Skip,
}

/// A corrupt stretch of a file that a reader skipped (or, in a log directory, stopped at).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadWarning {
    /// The file.
    pub file: PathBuf,
    /// Byte offset of the corrupt record.
    pub offset: u64,
    /// What was wrong, naming the file and offset.
    pub message: String,
}

impl fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

enum Source {
    File(File),
    Memory(Vec<u8>),
}

impl Source {
    fn len(&mut self) -> std::io::Result<u64> {
        match self {
            Source::File(f) => Ok(f.metadata()?.len()),
            Source::Memory(b) => Ok(b.len() as u64),
        }
    }

    /// Reads as many bytes as are there (up to `out.len()`) from `pos`.
    fn read_at(&mut self, pos: u64, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Source::File(f) => {
                f.seek(SeekFrom::Start(pos))?;
                let mut n = 0;
                while n < out.len() {
                    match f.read(&mut out[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(n)
            }
            Source::Memory(b) => {
                let start = (pos.min(b.len() as u64)) as usize;
                let n = out.len().min(b.len() - start);
                out[..n].copy_from_slice(&b[start..start + n]);
                Ok(n)
            }
        }
    }
}

/// Reads the `Event`s of one event file incrementally: after [`next_event`] returns
/// `Ok(None)`, calling it again once the file has grown returns the new records.
///
/// [`next_event`]: EventFileReader::next_event
pub struct EventFileReader {
    path: PathBuf,
    origin: String,
    source: Source,
    /// Bytes of the file from `buf_start` on, read but not necessarily consumed.
    buf: Vec<u8>,
    buf_start: u64,
    /// Consumed bytes of `buf`: the next record starts at `buf_start + pos`.
    pos: usize,
    on_corruption: OnCorruption,
    /// Offset of the corrupt record being skipped, while scanning for the next valid one.
    resync_from: Option<u64>,
    warnings: Vec<ReadWarning>,
}

impl fmt::Debug for EventFileReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventFileReader").field("path", &self.path).field("offset", &self.offset()).finish()
    }
}

impl EventFileReader {
    /// Opens `path` for reading from its first record.
    pub fn open(path: impl AsRef<Path>) -> Result<EventFileReader> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io("summary", path, &e))?;
        Ok(Self::with_source(path.to_path_buf(), Source::File(file)))
    }

    /// A reader over bytes already in memory; `name` stands for the file in messages.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> EventFileReader {
        Self::with_source(PathBuf::from(name), Source::Memory(bytes))
    }

    fn with_source(path: PathBuf, source: Source) -> EventFileReader {
        EventFileReader {
            origin: path.display().to_string(),
            path,
            source,
            buf: Vec::new(),
            buf_start: 0,
            pos: 0,
            on_corruption: OnCorruption::Stop,
            resync_from: None,
            warnings: Vec::new(),
        }
    }

    /// Sets what happens at a corrupt record (default [`OnCorruption::Stop`]).
    pub fn on_corruption(mut self, mode: OnCorruption) -> EventFileReader {
        self.on_corruption = mode;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Byte offset of the next unread record.
    pub fn offset(&self) -> u64 {
        self.buf_start + self.pos as u64
    }

    /// Corrupt records skipped so far (with [`OnCorruption::Skip`]).
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// Returns and forgets the warnings collected so far.
    pub fn take_warnings(&mut self) -> Vec<ReadWarning> {
        std::mem::take(&mut self.warnings)
    }

    /// The next event, or `None` when the file holds no further complete record yet.
    pub fn next_event(&mut self) -> Result<Option<proto::Event>> {
        loop {
            let Some((offset, len)) = self.next_record()? else { return Ok(None) };
            let payload = &self.buf[self.pos - 4 - len..self.pos - 4];
            match proto::Event::decode(payload) {
                Ok(event) => return Ok(Some(event)),
                Err(e) => {
                    let what = format!("the payload is not a valid Event ({e})");
                    if self.on_corruption == OnCorruption::Stop {
                        // Stay on the record so that every later call reports it too.
                        self.pos -= 16 + len;
                        return Err(corrupt(&self.origin, offset, &what));
                    }
                    self.warn(offset, &what);
                }
            }
        }
    }

    /// The next complete record whose CRCs match, as (offset, payload length); the payload
    /// is the `len` bytes before the trailing CRC, ending 4 bytes before `self.pos`.
    fn next_record(&mut self) -> Result<Option<(u64, usize)>> {
        loop {
            let mut need = 12;
            let verdict = loop {
                if !self.fill(need)? {
                    return Ok(None);
                }
                match frame(&self.buf[self.pos..]) {
                    Frame::Incomplete { needed } => need = needed,
                    Frame::Complete { payload_len } => break Ok(payload_len),
                    Frame::Corrupt(what) => break Err(what),
                }
            };
            let offset = self.offset();
            match verdict {
                Ok(payload_len) => {
                    self.pos += 16 + payload_len;
                    self.resync_from = None;
                    return Ok(Some((offset, payload_len)));
                }
                Err(what) => self.corruption(offset, &what)?,
            }
        }
    }

    /// Handles a corrupt record at `offset`: an error with `Stop`; with `Skip`, a warning (once
    /// per corrupt stretch) and a step of one byte in the scan for the next valid record.
    fn corruption(&mut self, offset: u64, what: &str) -> Result<()> {
        if self.on_corruption == OnCorruption::Stop {
            return Err(corrupt(&self.origin, offset, what));
        }
        if self.resync_from.is_none() {
            self.resync_from = Some(offset);
            self.warn(offset, what);
        }
        self.pos += 1;
        Ok(())
    }

    fn warn(&mut self, offset: u64, what: &str) {
        let message = format!("{}: corrupt record at byte {offset}: {what}; skipped", self.origin);
        self.warnings.push(ReadWarning { file: self.path.clone(), offset, message });
    }

    /// Makes at least `need` unconsumed bytes available; false when the file does not hold
    /// them yet. Checks the file's size first, so a corrupt or partly written length never
    /// makes the reader buffer more than the file holds.
    fn fill(&mut self, need: usize) -> Result<bool> {
        if self.buf.len() - self.pos >= need {
            return Ok(true);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.buf_start += self.pos as u64;
            self.pos = 0;
        }
        let end = self.buf_start + self.buf.len() as u64;
        let size = self.source.len().map_err(|e| Error::io("summary", &self.path, &e))?;
        if size < self.buf_start + need as u64 {
            return Ok(false);
        }
        let want = (need - self.buf.len()).max(CHUNK).min((size - end) as usize);
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let got = match self.source.read_at(end, &mut self.buf[old..]) {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(old);
                return Err(Error::io("summary", &self.path, &e));
            }
        };
        self.buf.truncate(old + got);
        Ok(self.buf.len() >= need)
    }
}

impl Iterator for EventFileReader {
    type Item = Result<proto::Event>;

    /// The next event; `None` at the current end of the file. After an error the iterator
    /// yields the same error again with [`OnCorruption::Stop`], so stop at the first one.
    fn next(&mut self) -> Option<Result<proto::Event>> {
        self.next_event().transpose()
    }
}

/// All events of the file at `path` (a partly written last record is left out).
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<proto::Event>> {
    let mut reader = EventFileReader::open(path)?;
    let mut events = Vec::new();
    while let Some(e) = reader.next_event()? {
        events.push(e);
    }
    Ok(events)
}

fn corrupt(origin: &str, offset: u64, what: &str) -> Error {
    Error::new(ErrorKind::DataLoss, "summary", format!("{origin}: corrupt record at byte {offset}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::record::{encode_record, masked_crc32c, MAX_RECORD_BYTES};

    fn event_bytes(step: i64) -> Vec<u8> {
        proto::Event { wall_time: 1.0, step, what: None }.encode_to_vec()
    }

    #[test]
    fn reads_records_and_waits_at_a_partial_one() {
        let mut buf = Vec::new();
        encode_record(&event_bytes(1), &mut buf);
        encode_record(&event_bytes(2), &mut buf);
        let cut = buf.len() - 3;
        let mut r = EventFileReader::from_bytes("m", buf[..cut].to_vec());
        assert_eq!(r.next_event().unwrap().unwrap().step, 1);
        assert!(r.next_event().unwrap().is_none());
        assert_eq!(r.offset(), (buf.len() / 2) as u64);
    }

    #[test]
    fn a_huge_declared_length_is_incomplete_not_an_allocation() {
        let len = (MAX_RECORD_BYTES).to_le_bytes();
        let mut buf = len.to_vec();
        buf.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        buf.extend_from_slice(&[0; 100]);
        let mut r = EventFileReader::from_bytes("m", buf);
        assert!(r.next_event().unwrap().is_none());
        assert!(r.buf.len() <= 112);
    }

    #[test]
    fn skip_resynchronises_after_garbage() {
        let mut buf = Vec::new();
        encode_record(&event_bytes(1), &mut buf);
        buf.extend_from_slice(b"garbage in the middle");
        encode_record(&event_bytes(2), &mut buf);
        let mut r = EventFileReader::from_bytes("m", buf.clone());
        assert_eq!(r.next_event().unwrap().unwrap().step, 1);
        let e = r.next_event().unwrap_err();
        assert_eq!(e.kind, ErrorKind::DataLoss);
        assert!(e.to_string().contains("m: corrupt record at byte 27"), "{e}");
        let mut r = EventFileReader::from_bytes("m", buf).on_corruption(OnCorruption::Skip);
        let steps: Vec<i64> = r.by_ref().map(|e| e.unwrap().step).collect();
        assert_eq!(steps, [1, 2]);
        assert_eq!(r.warnings().len(), 1);
        assert_eq!(r.warnings()[0].offset, 27);
    }

    #[test]
    fn a_payload_that_is_not_an_event_is_data_loss() {
        let mut buf = Vec::new();
        encode_record(&[0xff, 0xff], &mut buf);
        encode_record(&event_bytes(7), &mut buf);
        let mut r = EventFileReader::from_bytes("m", buf.clone());
        let e = r.next_event().unwrap_err();
        assert!(e.kind == ErrorKind::DataLoss && e.to_string().contains("not a valid Event"), "{e}");
        assert!(r.next_event().is_err(), "Stop keeps reporting the record");
        let mut r = EventFileReader::from_bytes("m", buf).on_corruption(OnCorruption::Skip);
        assert_eq!(r.next_event().unwrap().unwrap().step, 7);
        assert_eq!(r.take_warnings().len(), 1);
    }
}
