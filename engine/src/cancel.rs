//! Cooperative cancellation of running engine work (what Ctrl-C in a REPL asks for).
//!
//! The owner of a computation holds a [`CancelToken`] and runs the work inside
//! [`with_cancel`]; another thread (a signal handler's watcher) calls [`CancelToken::cancel`].
//! The engine polls the token at check points — between graph nodes, on every `while_loop`
//! iteration, on every eager op, and between blocks of heavy kernels — and fails with
//! [`ErrorKind::Cancelled`]. A check is one relaxed atomic load, and no kernel checks per
//! element.
//!
//! The token in force is per thread and scoped (no global state): code outside `with_cancel`
//! is never cancelled. Rayon workers do not see the caller's token, so parallel kernels
//! capture it first ([`Stop::current`]) and poll the captured copy.
//!
//! A cancelled computation leaves no half-written state behind: every value an op computes is
//! a fresh tensor that is simply dropped, and the writes that update a variable's buffer in
//! place run [`shielded`] from cancellation (they are checked before they start instead).

use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shared cancellation request: clones refer to the same flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that has not been cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Requests cancellation of the work running under this token (from any thread).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`CancelToken::cancel`] was called (and not since reset).
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Clears a request, so the token can scope new work.
    pub fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }

    /// Clears a pending request and reports whether there was one.
    pub fn take(&self) -> bool {
        // A plain load first: pollers call this often and it is almost always false.
        self.is_cancelled() && self.0.swap(false, Ordering::Relaxed)
    }

    /// Fails with [`cancelled`] for `op` when cancellation was requested.
    #[inline]
    pub fn check(&self, op: &str) -> Result<()> {
        if self.is_cancelled() {
            return Err(cancelled(op));
        }
        Ok(())
    }

    /// True when both handles share one flag.
    pub fn same(&self, other: &CancelToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The error of cancelled work in `op`: `CancelledError: op: interrupted`.
pub fn cancelled(op: &str) -> Error {
    Error::new(ErrorKind::Cancelled, op, "interrupted")
}

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Puts the previous token back when a scope ends, also on unwinding.
struct Restore(Option<CancelToken>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

fn scoped<R>(token: Option<CancelToken>, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), token));
    let _restore = Restore(previous);
    f()
}

/// Runs `f` with `token` as this thread's current token: engine work inside `f` stops with
/// a `Cancelled` error soon after `token` is cancelled. Scopes nest; the innermost wins.
pub fn with_cancel<R>(token: &CancelToken, f: impl FnOnce() -> R) -> R {
    scoped(Some(token.clone()), f)
}

/// Runs `f` with no current token: for writes that must not stop halfway.
pub fn shielded<R>(f: impl FnOnce() -> R) -> R {
    scoped(None, f)
}

/// The token in force on this thread, if any.
pub fn current() -> Option<CancelToken> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Fails with `CancelledError` naming `op` when the current token was cancelled.
#[inline]
pub fn check(op: &str) -> Result<()> {
    let cancelled = CURRENT.with(|c| c.borrow().as_ref().is_some_and(CancelToken::is_cancelled));
    if cancelled {
        return Err(cancelled_error(op));
    }
    Ok(())
}

#[cold]
fn cancelled_error(op: &str) -> Error {
    cancelled(op)
}

/// Names `op` in a cancellation its kernel raised (kernels name their family, not the op).
pub(crate) fn attribute(mut e: Error, op: &str) -> Error {
    if e.kind == ErrorKind::Cancelled {
        e.op = Some(op.to_string());
    }
    e
}

/// The current token captured for a kernel that goes parallel: rayon workers do not see the
/// caller's thread-local, so they poll this copy. It remembers having answered yes, so a
/// kernel that skipped work reports the cancellation even if the token is reset meanwhile.
#[derive(Debug, Default)]
pub struct Stop {
    token: Option<CancelToken>,
    seen: AtomicBool,
}

impl Stop {
    /// Captures this thread's current token (none outside [`with_cancel`]).
    pub fn current() -> Stop {
        Stop { token: current(), seen: AtomicBool::new(false) }
    }

    /// A stop that is never requested.
    pub fn never() -> Stop {
        Stop::default()
    }

    /// True when the captured token was cancelled (work may be skipped from then on).
    #[inline]
    pub fn requested(&self) -> bool {
        let yes = self.token.as_ref().is_some_and(CancelToken::is_cancelled);
        if yes {
            self.seen.store(true, Ordering::Relaxed);
        }
        yes
    }

    /// Fails with `CancelledError` naming `op` when the captured token was cancelled, or when
    /// [`Stop::requested`] ever answered yes.
    #[inline]
    pub fn check(&self, op: &str) -> Result<()> {
        if self.requested() || self.seen.load(Ordering::Relaxed) {
            return Err(cancelled_error(op));
        }
        Ok(())
    }

    /// Runs `f` with the captured token current (on a worker thread that runs engine ops).
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        scoped(self.token.clone(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_restore() {
        assert!(current().is_none());
        let outer = CancelToken::new();
        let inner = CancelToken::new();
        with_cancel(&outer, || {
            assert!(current().is_some_and(|t| t.same(&outer)));
            with_cancel(&inner, || {
                inner.cancel();
                assert_eq!(check("op").unwrap_err().kind, ErrorKind::Cancelled);
                shielded(|| assert!(check("op").is_ok()));
            });
            assert!(check("op").is_ok());
        });
        assert!(current().is_none());
        assert!(inner.take());
        assert!(!inner.is_cancelled());
    }

    #[test]
    fn a_panic_restores_the_previous_token() {
        let t = CancelToken::new();
        let r = std::panic::catch_unwind(|| with_cancel(&t, || panic!("boom")));
        assert!(r.is_err());
        assert!(current().is_none());
    }

    #[test]
    fn the_error_names_the_op() {
        assert_eq!(cancelled("matmul").to_string(), "CancelledError: matmul: interrupted");
    }
}
