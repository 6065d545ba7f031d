//! TFRecord framing (`docs/formats.md` §1): length, masked CRC32C of the length, payload,
//! masked CRC32C of the payload.

use crate::error::{Error, ErrorKind, Result};
use std::io::{Read, Write};
use std::path::Path;

const MASK_DELTA: u32 = 0xa282_ead8;

/// CRC32C (Castagnoli) of `bytes`, masked as TFRecord stores it.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Appends one framed record holding `payload` to `out`.
pub fn encode_record(payload: &[u8], out: &mut Vec<u8>) {
    let len = (payload.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc32c(payload).to_le_bytes());
}

/// Writes one framed record holding `payload`.
pub fn write_record(w: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(payload.len() + 16);
    encode_record(payload, &mut buf);
    w.write_all(&buf)
}

/// Largest payload a reader accepts: a corrupt length must not become a huge allocation.
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// What reading the next record found.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// A complete record whose CRCs match.
    Record(Vec<u8>),
    /// The data ends here: at a record boundary, or inside a record still being written.
    /// Nothing was consumed; read again from the same offset when the file has grown.
    End,
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A record whose CRCs match, its payload at `12..12 + payload_len`, `16 + payload_len`
    /// bytes in all.
    Complete {
        /// Length of the payload.
        payload_len: usize,
    },
    /// The record is not all there yet: `needed` bytes in all would tell more.
    Incomplete {
        /// Bytes to have from the record's start before looking again.
        needed: usize,
    },
    /// A CRC mismatch or an impossible length.
    Corrupt(String),
}

/// Examines the record at the start of `bytes` without copying it.
pub fn frame(bytes: &[u8]) -> Frame {
    if bytes.len() < 12 {
        return Frame::Incomplete { needed: 12 };
    }
    let len_bytes: [u8; 8] = bytes[..8].try_into().expect("8 bytes");
    let stored = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if masked_crc32c(&len_bytes) != stored {
        return Frame::Corrupt("the length's CRC does not match".into());
    }
    let len = u64::from_le_bytes(len_bytes);
    if len > MAX_RECORD_BYTES {
        return Frame::Corrupt(format!("record length {len} exceeds the {MAX_RECORD_BYTES}-byte limit"));
    }
    let len = len as usize;
    if bytes.len() < 16 + len {
        return Frame::Incomplete { needed: 16 + len };
    }
    let stored = u32::from_le_bytes(bytes[12 + len..16 + len].try_into().expect("4 bytes"));
    if masked_crc32c(&bytes[12..12 + len]) != stored {
        return Frame::Corrupt("the payload's CRC does not match".into());
    }
    Frame::Complete { payload_len: len }
}

/// Reads framed records from `bytes` starting at `offset`; on `Next::Record` advances
/// `offset` past it. A CRC mismatch or an impossible length is an error naming `origin`
/// and the record's byte offset.
pub fn read_record(bytes: &[u8], offset: &mut usize, origin: &str) -> Result<Next> {
    let start = *offset;
    let rest = &bytes[start.min(bytes.len())..];
    match frame(rest) {
        Frame::Complete { payload_len } => {
            *offset = start + 16 + payload_len;
            Ok(Next::Record(rest[12..12 + payload_len].to_vec()))
        }
        Frame::Incomplete { .. } => Ok(Next::End),
        Frame::Corrupt(what) => Err(corrupt(origin, start, &what)),
    }
}

/// Reads every complete record of a stream (a truncated last record is ignored).
pub fn read_all(r: &mut impl Read, origin: &str) -> Result<Vec<Vec<u8>>> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes).map_err(|e| Error::io("summary", Path::new(origin), &e))?;
    let mut offset = 0;
    let mut out = Vec::new();
    while let Next::Record(p) = read_record(&bytes, &mut offset, origin)? {
        out.push(p);
    }
    Ok(out)
}

fn corrupt(origin: &str, offset: usize, what: &str) -> Error {
    Error::new(ErrorKind::DataLoss, "summary", format!("{origin}: corrupt record at byte {offset}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::manual_rotate)] // the formula as docs/formats.md states it
    fn crc32c_matches_the_castagnoli_check_value() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        let crc: u32 = 0xE306_9283;
        assert_eq!(masked_crc32c(b"123456789"), crc.rotate_right(15).wrapping_add(0xa282_ead8));
    }

    #[test]
    fn round_trip_and_truncation() {
        let mut buf = Vec::new();
        encode_record(b"hello", &mut buf);
        encode_record(b"", &mut buf);
        assert_eq!(buf.len(), 16 + 5 + 16);
        let mut off = 0;
        assert_eq!(read_record(&buf, &mut off, "t").unwrap(), Next::Record(b"hello".to_vec()));
        assert_eq!(read_record(&buf, &mut off, "t").unwrap(), Next::Record(Vec::new()));
        assert_eq!(read_record(&buf, &mut off, "t").unwrap(), Next::End);
        for cut in 0..buf.len() {
            let mut off = 0;
            let mut n = 0;
            while let Next::Record(_) = read_record(&buf[..cut], &mut off, "t").unwrap() {
                n += 1;
            }
            assert_eq!(
                n,
                if cut >= 37 {
                    2
                } else if cut >= 21 {
                    1
                } else {
                    0
                },
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn corruption_is_an_error_with_the_offset() {
        let mut buf = Vec::new();
        encode_record(b"first", &mut buf);
        encode_record(b"second", &mut buf);
        let mut bad = buf.clone();
        bad[21 + 12] ^= 1;
        let mut off = 0;
        assert!(matches!(read_record(&bad, &mut off, "f").unwrap(), Next::Record(_)));
        let e = read_record(&bad, &mut off, "f").unwrap_err().to_string();
        assert!(e.contains("f: corrupt record at byte 21") && e.contains("payload"), "{e}");
        let mut bad = buf;
        bad[3] ^= 0x40;
        let e = read_record(&bad, &mut 0, "f").unwrap_err().to_string();
        assert!(e.contains("byte 0") && e.contains("length"), "{e}");
    }
}
