//! The error type shared by every fallible operation.

use std::fmt;

/// The category of an error, following TensorFlow's status codes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// Bad argument: wrong shape, dtype, attribute or index.
    InvalidArgument,
    /// An index or value is outside the valid range.
    OutOfRange,
    /// An operation was used in a state that does not allow it.
    FailedPrecondition,
    /// Something that does not exist was asked for.
    NotFound,
    /// The operation is not supported for these arguments.
    Unimplemented,
    /// A broken invariant inside the engine.
    Internal,
    /// The computation was cancelled (Ctrl-C).
    Cancelled,
    /// A tensor would not fit in memory.
    ResourceExhausted,
    /// Stored data is corrupt (a record's checksum does not match).
    DataLoss,
    /// The operating system refused a file operation.
    PermissionDenied,
    /// A file operation failed for another reason (disk full, I/O error).
    Unknown,
}

/// An error with the op that raised it and a message naming shapes, dtypes and expectations.
#[derive(Clone, PartialEq, Debug)]
pub struct Error {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// The op (or API) that failed, if any.
    pub op: Option<String>,
    /// Human-readable description.
    pub message: String,
}

impl Error {
    /// An `InvalidArgument` error raised by `op`.
    pub fn invalid(op: &str, message: impl Into<String>) -> Error {
        Error { kind: ErrorKind::InvalidArgument, op: Some(op.to_string()), message: message.into() }
    }

    /// An error of `kind` raised by `op`.
    pub fn new(kind: ErrorKind, op: &str, message: impl Into<String>) -> Error {
        Error { kind, op: Some(op.to_string()), message: message.into() }
    }

    /// The error for a failed file operation of `op` on `path`, classified as TensorFlow does.
    pub fn io(op: &str, path: &std::path::Path, e: &std::io::Error) -> Error {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::Unknown,
        };
        Error::new(kind, op, format!("{}: {e}", path.display()))
    }

    /// An error of `kind` not tied to an op.
    pub fn plain(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, op: None, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::InvalidArgument => "InvalidArgumentError",
            ErrorKind::OutOfRange => "OutOfRangeError",
            ErrorKind::FailedPrecondition => "FailedPreconditionError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Unimplemented => "UnimplementedError",
            ErrorKind::Internal => "InternalError",
            ErrorKind::Cancelled => "CancelledError",
            ErrorKind::ResourceExhausted => "ResourceExhaustedError",
            ErrorKind::DataLoss => "DataLossError",
            ErrorKind::PermissionDenied => "PermissionDeniedError",
            ErrorKind::Unknown => "UnknownError",
        };
        match &self.op {
            Some(op) => write!(f, "{kind}: {op}: {}", self.message),
            None => write!(f, "{kind}: {}", self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns early with an `InvalidArgument` error for `op`, formatted like `format!`.
#[macro_export]
macro_rules! bail {
    ($op:expr, $($arg:tt)*) => {
        return Err($crate::Error::invalid($op, format!($($arg)*)))
    };
}
